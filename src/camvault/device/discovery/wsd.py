"""The lab's WS-Discovery responder: Probe, Resolve, Hello at boot and Bye at shutdown (``onvif.md`` §2).

Only devices whose ONVIF service is on answer (a Hikvision device ships with it off; the generic ONVIF camera
has it on). Each is a Target Service with:

* the endpoint address ``urn:uuid:<device UUID>``, stable across reboots;
* the types ``dn:NetworkVideoTransmitter tds:Device`` (Core: "shall include tds:Device"; onveef probes for
  both, onvif-python for ``tds:Device`` alone);
* the scopes of :func:`camvault.device.onvif.facts.scopes`, including ``onvif://www.onvif.org/Profile/Streaming``
  that Home Assistant filters on;
* its device-service XAddr, ``http://<address>:<port>/onvif/device_service``;
* a ``d:AppSequence`` whose ``InstanceId`` is the boot time (it grows with every boot) and whose
  ``MessageNumber`` counts the device's messages since.

A Probe is matched with :func:`camvault.protocols.wsdiscovery.matches` (types by QName, scopes by the
``MatchBy`` rule); a unicast probe with a matching rule we do not implement gets the
``d:MatchingRuleNotSupported`` fault, a multicast one silence, as the protocol asks. Each matching device
answers with its own ``ProbeMatches`` (as separate devices would), unicast to the probe's sender.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from random import Random

from camvault.device.discovery.base import Discoverable, Responder
from camvault.device.discovery.network import Arrival
from camvault.device.onvif import facts
from camvault.errors import ProtocolError
from camvault.protocols import wsdiscovery as wsd
from camvault.protocols.wsdiscovery import AppSequence, MatchResult, ProbeMatch

__all__ = ["WsdResponder", "serves_onvif", "target_record"]


def serves_onvif(device: Discoverable) -> bool:
    """Whether the device's ONVIF service is on (and so whether it is discoverable)."""
    model = device.model
    return model.settings.onvif_enabled and model.activated


def target_record(device: Discoverable) -> ProbeMatch:
    """The device's discovery record (ProbeMatch, ResolveMatch and Hello share it)."""
    return ProbeMatch(
        address=facts.endpoint_reference(device.model),
        types=facts.DISCOVERY_TYPES,
        scopes=facts.scopes(device.model),
        xaddrs=(facts.service_url(device.address, device.http_port),),
        metadata_version=1,
    )


class WsdResponder(Responder):
    """Answers WS-Discovery for every ONVIF-enabled device of a lab (see the module docstring).

    Args:
        devices: returns the lab's devices.
        port: UDP port (the real one is 3702).
        interfaces: further local interface addresses to answer on.
        max_delay: reply jitter bound, ``APP_MAX_DELAY`` (500 ms) by default.
        rng: randomness for the jitter.
    """

    protocol = "WS-Discovery"
    group = wsd.MULTICAST_IPV4

    def __init__(
        self,
        devices: Callable[[], Collection[Discoverable]],
        *,
        port: int = wsd.PORT,
        interfaces: Sequence[str] = (),
        max_delay: float = 0.5,
        rng: Random | None = None,
    ) -> None:
        super().__init__(devices, port=port, interfaces=interfaces, max_delay=max_delay, rng=rng)
        self._sequences: dict[str, AppSequence] = {}

    def on_datagram(self, arrival: Arrival) -> None:
        """Answer a Probe or a Resolve; drop everything else."""
        try:
            message = wsd.decode(arrival.data)
        except ProtocolError:
            self.ignored += 1
            return
        devices = [device for device in self.reached(arrival) if serves_onvif(device)]
        if isinstance(message, wsd.Probe):
            self._probe(message, devices, arrival)
        elif isinstance(message, wsd.Resolve):
            self._resolve(message, devices, arrival)

    def _probe(self, probe: wsd.Probe, devices: list[Discoverable], arrival: Arrival) -> None:
        faulted = False
        for device in devices:
            record = target_record(device)
            verdict = wsd.matches(probe, record.types, record.scopes)
            if verdict is MatchResult.MATCH:
                reply = wsd.ProbeMatches(
                    message_id=wsd.new_message_id(),
                    relates_to=probe.message_id,
                    matches=(record,),
                    app_sequence=self._next(device),
                )
                self.reply(device, arrival, wsd.encode_probe_matches(reply))
            elif (
                verdict is MatchResult.UNSUPPORTED_RULE and not faulted and arrival.destination != self.group
            ):
                faulted = True
                fault = wsd.encode_matching_rule_fault(probe, message_id=wsd.new_message_id())
                self.reply(device, arrival, fault, delay=False)

    def _resolve(self, resolve: wsd.Resolve, devices: list[Discoverable], arrival: Arrival) -> None:
        for device in devices:
            if facts.endpoint_reference(device.model) == resolve.address:
                reply = wsd.ResolveMatches(
                    message_id=wsd.new_message_id(),
                    relates_to=resolve.message_id,
                    match=target_record(device),
                    app_sequence=self._next(device),
                )
                self.reply(device, arrival, wsd.encode_resolve_matches(reply))

    def _next(self, device: Discoverable) -> AppSequence:
        instance = int(device.model.boot_time.timestamp()) & 0xFFFFFFFF
        current = self._sequences.get(device.label)
        if current is None or current.instance_id != instance:
            current = AppSequence(instance, 1)
        else:
            current = current.next()
        self._sequences[device.label] = current
        return current

    def device_booted(self, device: Discoverable) -> None:
        """Multicast the device's Hello (when its ONVIF is on)."""
        if serves_onvif(device):
            hello = wsd.Hello(wsd.new_message_id(), target_record(device), self._next(device))
            self.announce(wsd.encode_hello(hello))

    def device_leaving(self, device: Discoverable) -> None:
        """Multicast the device's Bye (when its ONVIF is on)."""
        if serves_onvif(device):
            bye = wsd.Bye(wsd.new_message_id(), facts.endpoint_reference(device.model), self._next(device))
            self.announce(wsd.encode_bye(bye))
