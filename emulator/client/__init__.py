"""A typed client of the emulator's control API (``/_emulator``), blocking and async.

    from emulator.client import EmulatorClient

    with EmulatorClient("http://127.0.0.1:8080", api_key="team-a") as emu:
        emu.reset()
        emu.force_outcome(user_id="patient-1", depression_severity="mild_to_moderate")
        ...  # the code under test talks to the emulator
        emu.assert_requested("POST", "/v2/initiate", count=1)

``AsyncEmulatorClient`` has the same methods, awaited. Results are the endpoints' JSON
documents, typed (``emulator.client.types``); a refused call raises
``ControlAPIError`` with the control error body. docs/client.md is the guide.
"""

from emulator.client.aio import AsyncEmulatorClient
from emulator.client.errors import ControlAPIError, RequestNotFound, WaitTimeout
from emulator.client.sync import EmulatorClient

__all__ = [
    "AsyncEmulatorClient",
    "ControlAPIError",
    "EmulatorClient",
    "RequestNotFound",
    "WaitTimeout",
]
