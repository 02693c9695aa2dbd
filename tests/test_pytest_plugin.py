"""The pytest plugin as a client project sees it: pytest run in a subprocess on a small
project (``pytest -p no:cacheprovider`` in a temporary directory)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from emulator.client import EmulatorClient
from emulator.pytest_plugin import ServerPool
from emulator.settings import Settings
from emulator.testing import EmulatorServer

PYPROJECT = """\
[tool.pytest.ini_options]
filterwarnings = ["error"]
"""


def run_pytest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def write(project: Path, files: dict[str, str]) -> Path:
    for name, text in {"pyproject.toml": PYPROJECT, **files}.items():
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return project


def test_emulator_client_without_httpx2_passes_under_filterwarnings_error(
    tmp_path: Path,
) -> None:
    project = write(
        tmp_path,
        {
            # Hide httpx2 before anything imports Starlette's TestClient: Starlette then
            # falls back to httpx and warns, as in a project without httpx2.
            "conftest.py": """\
                import sys

                assert "starlette.testclient" not in sys.modules
                sys.modules["httpx2"] = None
            """,
            "test_it.py": """\
                def test_health(emulator_client):
                    assert emulator_client.get("/_emulator/health").json()["status"] == "ok"
                    import httpx
                    assert isinstance(emulator_client, httpx.Client)
            """,
        },
    )
    done = run_pytest(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


def test_overridden_settings_share_one_server_per_distinct_value(tmp_path: Path) -> None:
    seven = """\
        import pytest
        from emulator.settings import Settings

        @pytest.fixture
        def emulator_settings():
            return Settings(seed=7).with_dotted({"kintsugi.min_voice_seconds": "5"})

        @pytest.mark.parametrize("n", range(3))
        def test_seven(emulator_server, n):
            import httpx
            assert httpx.get(emulator_server.base_url + "/_emulator/health").json()["seed"] == 7
    """
    project = write(
        tmp_path,
        {
            "test_a.py": seven,
            "test_b.py": seven,  # an equal value in another module: the same server
            "test_c.py": """\
                def test_default(emulator_server, emulator_control):
                    assert emulator_control.health()["seed"] == 0
            """,
        },
    )
    done = run_pytest(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        "vendor-emulator: 2 server(s) started for 2 distinct emulator_settings value(s), "
        "reused 5 time(s)"
    ) in done.stdout


def test_the_pool_stops_the_least_recently_used_server_beyond_its_limit() -> None:
    pool = ServerPool(limit=1)
    try:
        first = pool.server(Settings(seed=1))
        assert pool.server(Settings(seed=1)) is first
        second = pool.server(Settings(seed=2))
        with pytest.raises(RuntimeError, match="not running"):
            _ = first.base_url
        assert second.base_url.startswith("http://127.0.0.1:")
        assert (pool.started, pool.reused, len(pool.distinct)) == (2, 1, 2)
    finally:
        pool.stop()


def test_settings_that_differ_only_in_the_token_get_their_own_server() -> None:
    """The token is kept out of the settings' repr (a secret); the pool still tells the
    values apart, or a guarded test would get an open server."""
    pool = ServerPool()
    try:
        open_server = pool.server(Settings())
        guarded = pool.server(Settings(control_token="t0k"))
        assert guarded is not open_server
        assert pool.server(Settings(control_token="t0k")) is guarded
        assert httpx.post(f"{guarded.base_url}/_emulator/reset", timeout=10).status_code == 401
    finally:
        pool.stop()


class TestAControlToken:
    """A project whose emulator runs with a control token: the plugin's client carries it."""

    @pytest.fixture
    def emulator_settings(self) -> Settings:
        return Settings(control_token="plugin-t0ken")

    def test_the_control_client_carries_the_token(
        self, emulator_server: EmulatorServer, emulator_control: EmulatorClient
    ) -> None:
        assert emulator_control.reset()["reset"] == "all"
        assert emulator_control.faults() == []
        refused = httpx.post(f"{emulator_server.base_url}/_emulator/reset", timeout=10)
        assert refused.status_code == 401
