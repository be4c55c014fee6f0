"""Clients nobody here wrote, driving the emulator: pyhik and hikvisionapi (both from PyPI)."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta

import pytest
from hikvisionapi import Client as HikvisionApiClient
from pyhik.hikvision import HikCamera

from camvault.device.model import DetectResult
from camvault.device.model.recordings import Segment, clip_bytes

from .conftest import LabFactory, url

PASSWORD = "Lobby#Cam-2024"


@pytest.fixture
async def lab(make_lab: LabFactory):  # type: ignore[no-untyped-def]
    return await make_lab(
        [
            {
                "label": "cam",
                "admin_password": PASSWORD,
                "users": [{"name": "guard", "level": "Viewer", "password": "Night-Shift-21"}],
            },
            {"label": "nvr", "kind": "nvr", "admin_password": "Record3r-Pass!", "channels": ["cam"]},
        ],
        nvr_check_seconds=60,
    )


async def test_pyhik_reads_device_info(lab) -> None:  # type: ignore[no-untyped-def]
    device = lab.lab.device("cam")
    camera = await asyncio.to_thread(HikCamera, url(lab, "cam"), device.http_port, "admin", PASSWORD)
    assert camera.get_name == "IP CAMERA"
    assert camera.get_id == device.model.identity.device_uuid
    wrong = await asyncio.to_thread(HikCamera, url(lab, "cam"), device.http_port, "admin", "not-it")
    assert wrong.get_id is None, "pyhik sees the 401 as an authentication failure"


async def test_pyhik_searches_and_downloads_recordings(lab) -> None:  # type: ignore[no-untyped-def]
    nvr = lab.lab.device("nvr")
    model = nvr.model
    model.set_time(model.now() - timedelta(hours=2))
    model.report_channel_check(1, DetectResult.CONNECT)
    model.set_time(model.now() + timedelta(hours=2))
    camera = await asyncio.to_thread(HikCamera, url(lab, "nvr"), nvr.http_port, "admin", "Record3r-Pass!")
    now = model.now().replace(tzinfo=None)
    recordings = await asyncio.to_thread(camera.search_recordings, 101, now - timedelta(hours=3), now, 50)
    assert len(recordings) >= 12
    newest = recordings[0]
    buffer = io.BytesIO()
    written = await asyncio.to_thread(camera.download_recording, newest.playback_uri, buffer)
    segment = Segment(101, newest.start_time, newest.end_time)
    assert written == len(buffer.getvalue()) == segment.size
    assert buffer.getvalue() == clip_bytes(model.identity.serial, segment)


async def test_hikvisionapi_reads_users_and_device_info(lab) -> None:  # type: ignore[no-untyped-def]
    client = await asyncio.to_thread(HikvisionApiClient, url(lab, "cam"), "admin", PASSWORD)
    info = await asyncio.to_thread(client.System.deviceInfo, method="get")
    assert info["DeviceInfo"]["serialNumber"] == lab.lab.device("cam").model.identity.serial
    users = await asyncio.to_thread(client.Security.users, method="get")
    names = [user["userName"] for user in users["UserList"]["User"]]
    assert names == ["admin", "guard"]
    assert "password" not in str(users).lower()
