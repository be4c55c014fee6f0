"""The session's HTTP clients: sharded pools, one TLS context per setting, hooks on every client."""

from __future__ import annotations

from pathlib import Path

import httpx

from camvault.fleet.session import FleetSession
from camvault.fleet.store import Store


async def test_hosts_spread_over_small_pools_and_stay_in_theirs(tmp_path: Path) -> None:
    seen: list[str] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request.url.host)

    store = Store.open(f"sqlite:///{tmp_path / 'fleet.sqlite'}")
    session = FleetSession(store, None, concurrency=64, request_hooks=[hook])
    try:
        assert session.shards == 16
        clients = {session.http(verify=True, host=f"127.0.{n // 250}.{n % 250 + 1}") for n in range(400)}
        assert len(clients) == 16, "every shard used, no more"
        assert session.http(verify=True, host="127.0.0.9") is session.http(verify=True, host="127.0.0.9")
        assert session.http(verify=False, host="127.0.0.9") is not session.http(verify=True, host="127.0.0.9")
        client = session.http(verify=True, host="127.0.0.9")
        assert client.event_hooks["request"] == [hook]
        limits = client._transport._pool  # type: ignore[attr-defined]
        assert limits._max_connections == 8 and limits._max_keepalive_connections == 4
    finally:
        await session.aclose()
        store.close()
    assert all(client.is_closed for client in clients)
    assert FleetSession(store, None, concurrency=1).shards == 1
