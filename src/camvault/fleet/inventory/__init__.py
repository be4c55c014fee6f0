"""The inventory of managed devices, and the importers that fill it (CSV, DHCP leases, discovery)."""

from camvault.fleet.inventory.inventory import DeviceRecord, Inventory, normalize_mac
from camvault.fleet.inventory.leases import CAMERA_OUIS, Lease, camera_vendor, parse_leases

__all__ = [
    "CAMERA_OUIS",
    "DeviceRecord",
    "Inventory",
    "Lease",
    "camera_vendor",
    "normalize_mac",
    "parse_leases",
]
