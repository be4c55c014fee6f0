"""DHCP lease files from routers: dnsmasq and ISC dhcpd."""

from __future__ import annotations

import pytest

from camvault.errors import ConfigurationError
from camvault.fleet.inventory import parse_leases

DNSMASQ = b"""1764000000 58:50:ed:1f:e3:85 192.168.124.40 IPCAMERA *
1764000100 3c:ef:8c:00:11:22 192.168.124.41 * 01:3c:ef:8c:00:11:22
1764000200 f0:18:98:aa:bb:cc 192.168.124.50 laptop 01:f0:18:98:aa:bb:cc
duid 00:01:00:01:2c:8a:11:22:33:44:55:66:77:88
"""

ISC = b"""# The format of this file is documented in the dhcpd.leases(5) manual page.
lease 192.168.1.64 {
  starts 4 2026/11/20 10:00:00;
  ends 4 2026/11/20 22:00:00;
  binding state active;
  hardware ethernet 44:19:b6:12:34:56;
  client-hostname "DS-2CD2143G2-I";
}
lease 192.168.1.70 {
  binding state free;
  hardware ethernet 44:19:b6:00:00:01;
}
lease 192.168.1.64 {
  binding state active;
  hardware ethernet 44:19:b6:12:34:57;
}
"""


def test_dnsmasq_leases_with_camera_hints() -> None:
    leases = parse_leases(DNSMASQ)
    assert [(lease.address, lease.vendor_hint) for lease in leases] == [
        ("192.168.124.40", "hikvision"),
        ("192.168.124.41", "dahua"),
        ("192.168.124.50", None),
    ]
    assert leases[0].hostname == "IPCAMERA" and leases[1].hostname is None
    assert [lease.likely_camera for lease in leases] == [True, True, False]


def test_isc_leases_keep_the_last_active_block() -> None:
    leases = parse_leases(ISC)
    assert len(leases) == 1
    assert leases[0].mac == "44:19:b6:12:34:57", "dhcpd appends; the last block for an address wins"


@pytest.mark.parametrize(
    "data",
    [
        b"not a lease file at all\n",
        b"1764000000 zz:zz 192.168.1.1 x *\n",
        b"1764000000 58:50:ed:1f:e3:85 999.1.1.1 x *\n",
        b"lease 192.168.1.2 {\n hardware ethernet 44:19:b6:12:34:56;\n",
        b"\xff\xfe\x00",
        b"1" * (5 * 1024 * 1024),
    ],
)
def test_malformed_lease_files_are_refused(data: bytes) -> None:
    with pytest.raises(ConfigurationError):
        parse_leases(data)
