"""The inventory on both engines: identity-keyed upserts, selection, bad values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from camvault.errors import InventoryError
from camvault.fleet.inventory import DeviceRecord, Inventory, normalize_mac
from camvault.fleet.store import Store

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def test_an_address_change_updates_instead_of_duplicating(store: Store) -> None:
    inventory = Inventory(NOW)
    with store.transaction() as conn:
        first, created = inventory.upsert(
            conn,
            DeviceRecord.new(
                "lobby", "hikvision", "192.0.2.10", serial="DS-X2020AAWR1", mac="58-50-ED-00-00-01"
            ),
        )
        assert created and first.mac == "58:50:ed:00:00:01"
        moved, created = inventory.upsert(
            conn, DeviceRecord.new("ignored-new-label", "unknown", "192.0.2.99", mac="5850ed000001")
        )
        assert not created and moved.id == first.id
        assert (moved.label, moved.host, moved.vendor, moved.serial) == (
            "lobby",
            "192.0.2.99",
            "hikvision",
            "DS-X2020AAWR1",
        )
        assert inventory.count(conn) == 1
        assert inventory.get(conn, "DS-X2020AAWR1").id == first.id
        assert inventory.get(conn, "58:50:ed:00:00:01").id == first.id


def test_selection_and_errors(store: Store) -> None:
    inventory = Inventory(NOW)
    with store.transaction() as conn:
        for index in range(3):
            inventory.upsert(
                conn,
                DeviceRecord.new(
                    f"cam-{index}",
                    "hikvision",
                    f"192.0.2.{index + 1}",
                    group_name="site-a" if index else "site-b",
                ),
            )
        assert [d.label for d in inventory.select(conn, ["*"])] == ["cam-0", "cam-1", "cam-2"]
        assert [d.label for d in inventory.select(conn, [], group="site-a")] == ["cam-1", "cam-2"]
        with pytest.raises(InventoryError, match="no device matches"):
            inventory.select(conn, ["nope"])
        with pytest.raises(InventoryError, match="already used"):
            inventory.upsert(conn, DeviceRecord.new("cam-0", "hikvision", "192.0.2.50", serial="OTHER"))


@pytest.mark.parametrize(
    "record",
    [
        DeviceRecord.new("", "hikvision", "192.0.2.1"),
        DeviceRecord.new(" padded", "hikvision", "192.0.2.1"),
        DeviceRecord.new("tab\there", "hikvision", "192.0.2.1"),
        DeviceRecord.new("x" * 129, "hikvision", "192.0.2.1"),
        DeviceRecord.new("x", "acme", "192.0.2.1"),
        DeviceRecord.new("x", "hikvision", "192.0.2.1", port=0),
        DeviceRecord.new("x", "hikvision", "192.0.2.1", scheme="ftp"),
        DeviceRecord.new("x", "hikvision", "host with space"),
        DeviceRecord.new("x", "hikvision", "192.0.2.1", mac="not-a-mac"),
    ],
)
def test_bad_records_are_refused_and_change_nothing(store: Store, record: DeviceRecord) -> None:
    inventory = Inventory(NOW)
    with store.transaction() as conn:
        with pytest.raises(InventoryError):
            inventory.upsert(conn, record)
        assert inventory.count(conn) == 0


def test_mac_normalisation() -> None:
    assert normalize_mac("AA-BB-CC-DD-EE-FF") == normalize_mac("aabb.ccdd.eeff") == "aa:bb:cc:dd:ee:ff"
    assert normalize_mac("") is None
    with pytest.raises(InventoryError):
        normalize_mac("aa:bb:cc")
