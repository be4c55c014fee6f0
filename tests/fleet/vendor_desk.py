"""The vendor's support desk for tests: the real support service answering a lab's throwaway vendor."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from camvault.clock import SystemClock
from camvault.device.lab.lab import VENDOR_DIR
from camvault.device.lab.runner import RunningLab
from camvault.protocols import resetcode
from camvault.support.keys import load_vendor_keys
from camvault.support.service import IssuedCode, SupportService
from camvault.support.store import SupportStore


class VendorDesk:
    """Receives a lab device's request, checks ownership, approves and issues a code (two operators)."""

    def __init__(self, running: RunningLab, database: Path) -> None:
        directory = running.lab.state_dir / VENDOR_DIR
        self.store = SupportStore.open(database)
        self.service = SupportService(self.store, load_vendor_keys(directory, None), clock=SystemClock())

    def issue(self, request_file: bytes, *, sync_ipc_password: bool = False) -> IssuedCode:
        case = self.service.receive_request(request_file, actor="alice")
        assert case.status == "verified", case.refusal_message
        self.service.record_ownership(case.id, operator="alice", note="invoice and label photo")
        self.service.approve(case.id, operator="bob")
        return self.service.issue_code(case.id, operator="bob", sync_ipc_password=sync_ipc_password)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> VendorDesk:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def forged_code(request_file: bytes, *, code_id: int = 7) -> str:
    """A well-formed typed code for this request, signed by a key the vendor never had (``unknown_key``)."""
    pending = resetcode.decode_request_file(request_file)
    return resetcode.encode_typed_code(
        resetcode.issue_reset_code(
            Ed25519PrivateKey.generate(),
            serial=pending.serial,
            nonce=pending.nonce,
            expiry=pending.expiry,
            code_id=code_id,
        )
    )
