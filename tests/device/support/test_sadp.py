"""SADP ``getencryptstring`` and ``reset`` (§13.4): the command handlers, as the responder calls them."""

from __future__ import annotations

import base64
import logging
import zlib
from dataclasses import dataclass

import pytest

from camvault.device.discovery.sadp import DEFAULT_COMMANDS, SadpContext, SadpResponder, compact_request
from camvault.device.model import DeviceModel, Kind
from camvault.device.model import vendor_support as vs
from camvault.device.model.accounts import LEGACY_DEFAULT_PASSWORD
from camvault.protocols import resetcode, sadp
from camvault.protocols.isapi.activation import (
    ActivationClientKey,
    sadp_encrypt_password,
    sadp_exchange_public_key,
)
from camvault.protocols.sadp import ActionResponse, Result, SadpCommand
from tests.device.model.conftest import STRONG
from tests.device.support.conftest import NEW_ADMIN, Vendor, made_device

TOOL = "10.0.0.5"
ETHERNET_UDP_PAYLOAD = 1472
"""The largest UDP payload of one unfragmented Ethernet frame (MTU 1500 minus the IPv4 and UDP headers)."""
_KEY = ActivationClientKey.generate()


@dataclass
class LanDevice:
    """A device as the SADP responder sees it."""

    label: str
    model: DeviceModel
    address: str = "192.0.2.64"
    http_port: int = 80


class Tool:
    """The SADP tool's side of the conversation with one device (the handlers, without sockets)."""

    def __init__(self, model: DeviceModel, requester: str = TOOL) -> None:
        self.device = LanDevice("cam", model)
        self.responder = SadpResponder(lambda: [self.device], port=0)
        self.requester = requester

    def send(self, types: str, **fields: str) -> ActionResponse:
        command = SadpCommand(
            uuid=sadp.new_uuid(), types=types, mac=self.device.model.identity.mac, fields=fields
        )
        # a round trip through the codecs, as on the wire
        command = sadp.SadpCommand.decode(command.encode())
        handler = self.responder.commands[types.lower()]
        response = handler(SadpContext(self.device, self.requester, self.responder), command)
        decoded = sadp.decode(sadp.encode_action_response(response))
        assert isinstance(decoded, ActionResponse)
        return decoded

    def export(self) -> bytes:
        response = self.send("getencryptstring")
        assert response.result is Result.SUCCESS and response.code is not None
        return zlib.decompress(base64.b64decode(response.code, validate=True))

    def exchange(self) -> str:
        response = self.send("exchangecode", Code=sadp_exchange_public_key(_KEY))
        assert response.result is Result.SUCCESS and response.code is not None
        return _KEY.decrypt_sadp_code(response.code)

    def reset(self, code: str, password: str = NEW_ADMIN, *, exchange: bool = True) -> ActionResponse:
        if not exchange:
            return self.send("reset", Code=code, Password=password)
        random_text = self.exchange()
        return self.send(
            "reset",
            Code=sadp_encrypt_password(random_text, code.replace("-", "")),
            Password=sadp_encrypt_password(random_text, password),
        )


def reason(response: ActionResponse) -> str | None:
    return response.fields.get("Reason")


def test_the_lab_implements_both_commands() -> None:
    for name in ("getencryptstring", "getencryptstring_v31", "reset"):
        assert name in DEFAULT_COMMANDS


def test_getencryptstring_exports_a_request_that_fits_one_frame(vendor: Vendor, camera: DeviceModel) -> None:
    tool = Tool(camera)
    response = tool.send("getencryptstring")
    datagram = sadp.encode_action_response(response)
    assert len(datagram) <= ETHERNET_UDP_PAYLOAD
    request_file = tool.export()
    request = resetcode.decode_request_file(request_file)
    assert request.serial == camera.identity.serial
    assert camera.vendor_support.pending is not None and camera.vendor_support.pending.nonce == request.nonce
    assert camera.vendor_support.pending.file == request_file  # byte-identical to the ISAPI export
    resetcode.verify_reset_request(request, [vendor.material().ca_certificate], vendor.clock.now())
    # why the compact form: the armored file in plain base64 would not fit one frame
    assert len(base64.b64encode(request_file)) > ETHERNET_UDP_PAYLOAD
    assert zlib.decompress(base64.b64decode(compact_request(request_file))) == request_file


def test_the_whole_reset_over_sadp(vendor: Vendor, camera: DeviceModel) -> None:
    tool = Tool(camera)
    issued = vendor.issue(tool.export())
    response = tool.reset(issued.typed)
    assert response.result is Result.SUCCESS and reason(response) is None
    assert camera.user(1).password.matches(NEW_ADMIN)
    assert camera.log.entries(vs.LOG_SUPPORT_RESET)[-1].source == TOOL


def test_an_nvr_syncs_its_channels_over_sadp(vendor: Vendor) -> None:
    nvr = made_device(vendor, kind=Kind.NVR)
    nvr.set_channel(1, address="192.0.2.1", port=80, username="admin", password="Old-Cam-Pass1")
    tool = Tool(nvr)
    issued = vendor.issue(tool.export(), sync_ipc_password=True)
    assert tool.reset(issued.typed).result is Result.SUCCESS
    assert nvr.channels[1].password.matches(NEW_ADMIN)


def test_reset_without_a_key_exchange_is_denied_and_free(vendor: Vendor, camera: DeviceModel) -> None:
    tool = Tool(camera)
    issued = vendor.issue(tool.export())
    response = tool.reset(issued.typed.replace("-", ""), exchange=False)
    assert (response.result, reason(response)) == (Result.DENIED, "noKeyExchange")
    assert camera.lock_status(TOOL).attempts_left == 5
    assert camera.user(1).password.matches(STRONG)


def test_fields_under_a_wrong_key_are_denied_and_counted(vendor: Vendor, camera: DeviceModel) -> None:
    tool = Tool(camera)
    issued = vendor.issue(tool.export())
    tool.exchange()
    wrong = "0123456789abcdef0123456789abcdef"
    response = tool.send(
        "reset",
        Code=sadp_encrypt_password(wrong, issued.typed.replace("-", "")),
        Password=sadp_encrypt_password(wrong, NEW_ADMIN),
    )
    assert (response.result, reason(response)) == (Result.DENIED, "undecryptable")
    assert camera.lock_status(TOOL).attempts_left == 4


def test_the_exchanged_key_is_spent_by_one_reset(vendor: Vendor, camera: DeviceModel) -> None:
    tool = Tool(camera)
    issued = vendor.issue(tool.export())
    random_text = tool.exchange()
    fields = {
        "Code": sadp_encrypt_password(random_text, issued.typed.replace("-", "")),
        "Password": sadp_encrypt_password(random_text, "admin12345"),
    }
    assert reason(tool.send("reset", **fields)) == "riskPassword"  # refused first, costs nothing
    assert reason(tool.send("reset", **fields)) == "noKeyExchange"
    assert tool.reset(issued.typed).result is Result.SUCCESS


@pytest.mark.parametrize(
    ("mutate", "result", "why", "counted"),
    [
        (lambda typed: ("1" if typed[0] != "1" else "2") + typed[1:], Result.FAILURE, "checksum", False),
        (lambda typed: typed[:50], Result.FAILURE, "malformed", False),
    ],
    ids=["typo", "truncated"],
)
def test_codes_that_test_nothing_fail_without_counting(
    vendor: Vendor, camera: DeviceModel, mutate: object, result: Result, why: str, counted: bool
) -> None:
    tool = Tool(camera)
    issued = vendor.issue(tool.export())
    response = tool.reset(mutate(issued.typed.replace("-", "")))  # type: ignore[operator]
    assert (response.result, reason(response)) == (result, why)
    assert camera.lock_status(TOOL).attempts_left == (4 if counted else 5)


def test_a_code_for_an_older_request_is_denied_and_counted(vendor: Vendor, camera: DeviceModel) -> None:
    tool = Tool(camera)
    issued = vendor.issue(tool.export())
    tool.export()
    response = tool.reset(issued.typed)
    assert (response.result, reason(response)) == (Result.DENIED, "bad_signature")
    assert camera.lock_status(TOOL).attempts_left == 4
    assert camera.user(1).password.matches(STRONG)


def test_a_reboot_forgets_the_request_and_the_key_exchange(vendor: Vendor, camera: DeviceModel) -> None:
    tool = Tool(camera)
    issued = vendor.issue(tool.export())
    random_text = tool.exchange()
    camera.power_off()
    camera.begin_boot()
    camera.finish_boot()
    tool.responder.device_booted(tool.device)
    stale = tool.send(
        "reset",
        Code=sadp_encrypt_password(random_text, issued.typed.replace("-", "")),
        Password=sadp_encrypt_password(random_text, NEW_ADMIN),
    )
    assert reason(stale) == "noKeyExchange"
    response = tool.reset(issued.typed)
    assert (response.result, reason(response)) == (Result.FAILURE, "no_pending_request")


def test_devices_without_the_method_fail_both_commands(vendor: Vendor) -> None:
    keyless = made_device(vendor)
    keyless.vendor_support.trust = None
    inactive = made_device(vendor, activate=False)
    for model, why in ((keyless, "notSupport"), (inactive, "notActivated")):
        tool = Tool(model)
        exported = tool.send("getencryptstring")
        assert (exported.result, reason(exported)) == (Result.FAILURE, why)
        refused = tool.reset("X" * 125)
        assert (refused.result, reason(refused)) == (Result.FAILURE, why)


def test_the_legacy_code_over_sadp_on_v5_2(vendor: Vendor) -> None:
    old = made_device(vendor, firmware="V5.2.5 build 141201")
    old.modify_user(old.user(1), 1, password="Owner-Chosen-1")
    tool = Tool(old, requester="10.0.0.66")  # anyone on the LAN
    assert reason(tool.send("getencryptstring")) == "notSupport"
    wrong = tool.send("reset", Code="QRSqrdeyz9", Password="ignored")
    assert (wrong.result, reason(wrong)) == (Result.DENIED, "bad_code")
    assert old.user(1).password.matches("Owner-Chosen-1")
    code = vs.legacy_security_code(old.identity.short_serial, vs.device_date(old))
    response = tool.send("reset", Code=code, Password="ignored")
    assert response.result is Result.SUCCESS
    assert old.user(1).password.matches(LEGACY_DEFAULT_PASSWORD)


@pytest.mark.parametrize("firmware", ["V5.3.0 build 150327", "V5.5.0 build 170725", "V5.7.15 build 230829"])
def test_the_legacy_code_is_refused_over_sadp_on_current_firmware(vendor: Vendor, firmware: str) -> None:
    model = made_device(vendor, firmware=firmware)
    tool = Tool(model)
    code = vs.legacy_security_code(model.identity.short_serial, vs.device_date(model))
    assert tool.reset(code, exchange=False).result is not Result.SUCCESS
    tool.export()
    encrypted = tool.reset(code)  # even sent the modern way it is not a code
    assert (encrypted.result, reason(encrypted)) == (Result.FAILURE, "malformed")
    assert model.user(1).password.matches(STRONG)


def test_nothing_secret_in_reprs_or_logs(
    vendor: Vendor, camera: DeviceModel, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tool = Tool(camera)
    issued = vendor.issue(tool.export())
    random_text = tool.exchange()
    command = SadpCommand(
        uuid="x",
        types="reset",
        mac=camera.identity.mac,
        fields={"Code": issued.typed, "Password": sadp_encrypt_password(random_text, NEW_ADMIN)},
    )
    assert issued.typed not in repr(command)
    assert tool.reset(issued.typed).result is Result.SUCCESS
    for secret in (NEW_ADMIN, issued.typed, issued.typed.replace("-", "")):
        assert secret not in caplog.text
