"""The vendor-emulator command: flags, environment twins, the start-up line, health."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from emulator.cli import main

LINE = re.compile(r"listening on (http://127\.0\.0\.1:(\d+)) serving Asleep .* Kintsugi Voice")


@contextmanager
def running(*args: str, env: dict[str, str] | None = None) -> Iterator[tuple[str, str]]:
    """Start `python -m emulator ARGS`, yield (base_url, first line), then stop it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "emulator", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = LINE.search(line)
        assert match, f"unexpected start-up line {line!r}"
        base = match.group(1)
        deadline = time.monotonic() + 10
        while True:
            try:
                if httpx.get(f"{base}/_emulator/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        yield base, line
    finally:
        proc.terminate()
        proc.communicate(timeout=15)


def test_serve_is_the_default_and_prints_one_line() -> None:
    with running("--port", "0") as (base, line):
        assert line.count("\n") == 1
        assert "control API at /_emulator" in line
        assert httpx.get(f"{base}/_emulator/health").json()["status"] == "ok"


def test_flags_and_environment_twins() -> None:
    with running("serve", "--port", "0", "--seed", "11", env={"EMULATOR_SEED": "5"}) as (base, _):
        assert httpx.get(f"{base}/_emulator/health").json()["seed"] == 11
    with running("--port", "0", env={"EMULATOR_SEED": "5", "EMULATOR_LOG_LEVEL": "warning"}) as (
        base,
        _,
    ):
        assert httpx.get(f"{base}/_emulator/health").json()["seed"] == 5


def test_set_flag_reaches_the_settings() -> None:
    with running("--port", "0", "--set", "asleep.max_body_bytes=10") as (base, _):
        r = httpx.post(f"{base}/ai/v1/anything", content=b"x" * 11)
        assert r.status_code == 413
        assert r.json() == {"detail": "HTTP length exceeded 10 bytes"}


def test_health_command_uses_the_address_file(tmp_path: Path) -> None:
    address = tmp_path / "addr"
    env = {"EMULATOR_ADDRESS_FILE": str(address)}
    with running("--port", "0", env=env) as (base, _):
        assert address.read_text().strip() == base.removeprefix("http://")
        done = subprocess.run(
            [sys.executable, "-m", "emulator", "health"],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=20,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "healthy"


def test_health_command_fails_when_nothing_listens(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["health", "--url", "http://127.0.0.1:9", "--timeout", "0.5"]) == 1
    assert "unhealthy" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["--set", "nonsense"], {}, "SECTION.FIELD=VALUE"),
        ([], {"EMULATOR_PORT": "x"}, "port"),
        (["--config", "/nonexistent/tenants.toml"], {}, "No such file"),
    ],
)
def test_bad_configuration_exits_2_with_a_message(
    argv: list[str],
    env: dict[str, str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main(["serve", "--port", "0", *argv]) == 2
    assert message in capsys.readouterr().err


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("vendor-emulator ")


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "vendor-emulator"
    assert script.exists()
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=20)
    assert done.returncode == 0
    assert "serve" in done.stdout


def test_the_start_up_line_names_the_inspector_and_demo_says_open_it() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--port", "0", "--demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first, second = proc.stdout.readline(), proc.stdout.readline()
        match = LINE.search(first)
        assert match, first
        ui = f"{match.group(1)}/_emulator/ui/"
        assert first.rstrip().endswith(f"inspector at {ui}")
        assert second.strip() == f"demo data for API key demo-key: open {ui}?tenant=demo-key"
        deadline = time.monotonic() + 10
        while True:
            try:
                page = httpx.get(ui, params={"tenant": "demo-key"}, timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        assert page.status_code == 200
        assert "text/html" in page.headers["content-type"]
    finally:
        proc.terminate()
        proc.communicate(timeout=15)
