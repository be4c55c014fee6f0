"""Run a lab inside a network namespace for the netns tests: ``python lab_process.py SCENARIO_JSON STATE_DIR``.

Prints ``READY {label: {mac, serial, address, endpoint}}`` once serving, then obeys lines on stdin: ``cycle LABEL``
(power-cycle a device; answers ``DONE``) and ``quit``. It stops on end of input too, so a test that dies
takes the lab with it.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from camvault.device.lab.runner import start_lab
from camvault.device.lab.scenario import parse_scenario


async def main() -> None:
    scenario = parse_scenario(json.loads(sys.argv[1]))
    running = await start_lab(Path(sys.argv[2]), scenario=scenario)
    facts = {
        label: {
            "mac": device.model.identity.mac,
            "serial": device.model.identity.serial,
            "address": device.address,
            "endpoint": f"urn:uuid:{device.model.identity.device_uuid}",
        }
        for label, device in running.lab.devices.items()
    }
    print("READY " + json.dumps(facts), flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    try:
        while True:
            line = (await reader.readline()).decode().strip()
            if not line or line == "quit":
                break
            command, _, label = line.partition(" ")
            if command == "cycle":
                await running.lab.power_cycle(label)
                print("DONE", flush=True)
    finally:
        await running.stop()


if __name__ == "__main__":
    asyncio.run(main())
