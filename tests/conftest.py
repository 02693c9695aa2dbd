"""Test-wide configuration.

* Hypothesis profiles (dev by default; ci when CI is set).
* Response self-validation: every app the tests build checks each vendor and control
  response against /_emulator/openapi.json (``emulator.control.contract``; switched on by
  ``EMULATOR_VALIDATE_RESPONSES``, which ``create_app`` honours whatever ``Settings``
  say). Every violation is logged on ``emulator.control.contract``; a handler collects them and
  the session fails at the end if there was any, listing them. Servers in another
  process log to their own stderr and cannot fail the session.
  A test that provokes violations on purpose takes the ``contract_violations_expected``
  fixture, which hands it the records and keeps them out of the final verdict.
* The quick part of the suite: ``python -m pytest -m "not slow"`` leaves out the modules
  in ``SLOW_MODULES`` (real servers under load, schemathesis, the voice corpus, memory
  and benchmark runs, the browser) and any test marked ``slow``; CI runs everything.
* Tests stay on this machine: ``tests.support.network.Guard`` refuses every lookup of,
  and connection to, an address outside 127.0.0.0/8 and ::1, and fails the test that
  tried (installed at import time, before any app or server exists).
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.support import redis as redis_support
from tests.support.network import Guard, RefusingPort
from tests.support.tools import missing

GUARD = Guard()
GUARD.install()
# Child processes (python -m emulator, a child pytest) install the guard as well and
# report to this file (tests/support/child/sitecustomize.py).
CHILDREN_LOG = str(Path(tempfile.mkdtemp(prefix="emulator-guard-")) / "refused.log")
os.environ["EMULATOR_TEST_GUARD_LOG"] = CHILDREN_LOG
os.environ["PYTHONPATH"] = os.pathsep.join(
    filter(None, (str(Path(__file__).parent / "support" / "child"), os.environ.get("PYTHONPATH")))
)

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile(
    "ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("debug", max_examples=10, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

# Before any app is created (module import time of the first conftest).
os.environ.setdefault("EMULATOR_VALIDATE_RESPONSES", "1")


@pytest.fixture(autouse=True)
def _stays_on_loopback() -> Iterator[None]:
    """Fail the test if anything left the machine since the last test was checked: the
    test, a fixture of any scope set up for it, a server thread, a child process."""
    GUARD.collect(CHILDREN_LOG)
    before = GUARD.unreported()  # module and session fixtures run before this one
    yield
    GUARD.collect(CHILDREN_LOG)
    tried = before + GUARD.unreported()
    if tried:
        pytest.fail("\n".join(dict.fromkeys(tried)), pytrace=False)


def _left_after_the_last_test(session: pytest.Session) -> None:
    """What left the machine after the last test (a fixture's teardown, a late thread,
    a child process) fails the session too."""
    GUARD.collect(CHILDREN_LOG)
    late = GUARD.unreported()
    if late:
        print("\nleft the machine after the last test:\n" + "\n".join(late), file=sys.stderr)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def redis_server() -> Iterator[redis_support.RedisServer]:
    """A real redis-server on a free loopback port for the whole session (no persistence)."""
    if redis_support.BINARY is None:
        missing("redis-server", "apt-get install redis-server")
    server = redis_support.RedisServer()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: redis_support.RedisServer) -> str:
    """The URL of an empty Redis database for this test (``--state-url``)."""
    redis_server.flush()
    return redis_server.url


@pytest.fixture
def refusing() -> Iterator[RefusingPort]:
    """A loopback port that refuses connections: a receiver that is down."""
    port = RefusingPort()
    yield port
    port.close()


class ContractViolations(logging.Handler):
    """Collects the ERROR records of ``emulator.control.contract`` over the whole session."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


_VIOLATIONS = ContractViolations()


# Whole modules that take tens of seconds each (measured with --durations=0; see
# docs/development.md). A module leaves this list only if it gets fast.
SLOW_MODULES = frozenset(
    {
        "tests/reliability",  # real server processes: soak, replicas, limits, memory
        "tests/bench/test_command.py",  # the benchmark command end to end
        "tests/bench/test_inprocess.py",
        "tests/bench/test_drift.py",  # recording proxy and replays against live servers
        "tests/control/test_openapi.py",  # schemathesis over every operation
        "tests/asleep/test_memory.py",  # ten thousand nights
        "tests/kintsugi/test_voice.py",  # espeak-ng speakers under inaudible edits
        "tests/kintsugi/test_corpus.py",  # the voice corpus through the HTTP API
        "tests/inspector/test_browser.py",  # headless Chromium
        "tests/audio/test_speech.py",  # espeak-ng and sox
        "tests/audio/test_bench.py",  # the detector benchmark
        "tests/test_cli.py",  # one interpreter started per case
        "tests/test_pytest_plugin.py",  # pytest in a subprocess
        "tests/test_docker.py",
        "tests/test_client_docs.py",  # the sample project's own pytest run
        "tests/test_shared_app.py",  # apps on a real redis-server
        "tests/kintsugi/test_state_machine.py",  # hypothesis state machines
        "tests/asleep/test_http_state_machine.py",
        "tests/asleep/test_determinism.py",  # whole nights generated twice
        "tests/asleep/test_webhooks_e2e.py",  # real receivers and timeouts
        "tests/core/test_persistence.py",  # kill -9 of real processes
        "tests/audio/test_voice.py",  # the trained detector over long recordings
        "tests/audio/test_vad.py",
    }
)


def _is_slow(where: str) -> bool:
    return where in SLOW_MODULES or where.split("/", 2)[:2] == ["tests", "reliability"]


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """With ``-m "not slow"``, slow modules are not even imported (schemathesis, selenium
    and the like cost seconds of collection)."""
    if config.getoption("markexpr", "").replace(" ", "") != "notslow":
        return None
    try:
        where = collection_path.relative_to(config.rootpath).as_posix()
    except ValueError:
        return None
    return True if _is_slow(where) else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = config.rootpath
    for item in items:
        if _is_slow(item.path.relative_to(root).as_posix()):
            item.add_marker(pytest.mark.slow)


def pytest_configure(config: pytest.Config) -> None:
    logger = logging.getLogger("emulator.control.contract")
    if _VIOLATIONS not in logger.handlers:
        logger.addHandler(_VIOLATIONS)


class ExpectedViolations:
    """The violations logged since the test began (``.records``)."""

    def __init__(self) -> None:
        self.start = len(_VIOLATIONS.records)

    @property
    def records(self) -> list[logging.LogRecord]:
        return _VIOLATIONS.records[self.start :]

    def messages(self) -> list[str]:
        return [r.getMessage() for r in self.records]


@pytest.fixture
def contract_violations_expected() -> Iterator[ExpectedViolations]:
    """For tests that provoke violations on purpose: they do not fail the session."""
    expected = ExpectedViolations()
    yield expected
    del _VIOLATIONS.records[expected.start :]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _left_after_the_last_test(session)
    if not _VIOLATIONS.records:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    lines = [
        f"{len(_VIOLATIONS.records)} response(s) violated /_emulator/openapi.json "
        "(logger emulator.control.contract):",
        *(f"  {r.getMessage()}" for r in _VIOLATIONS.records[:50]),
    ]
    if reporter is not None:
        reporter.write_sep("=", "contract violations", red=True)
        for line in lines:
            reporter.write_line(line)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
