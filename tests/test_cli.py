"""The vendor-emulator command: flags, environment twins, the start-up line, health, and
a one-line error with exit status 2 (never a traceback) for anything it cannot use."""

from __future__ import annotations

import dataclasses
import io
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.cli import main
from emulator.settings import Settings, env_name
from tests.support.network import RefusingPort

LINE = re.compile(r"listening on (http://127\.0\.0\.1:(\d+)) serving Asleep .* Kintsugi Voice")


def _spawn(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """`python -m emulator ARGS` with its output piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "emulator", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


@contextmanager
def running(*args: str, env: dict[str, str] | None = None) -> Iterator[tuple[str, str]]:
    """Start `python -m emulator ARGS`, yield (base_url, first line), then stop it."""
    proc = _spawn(*args, env=env)
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


def files(tmp: Path) -> dict[str, str]:
    """Unusable files of every kind, by name."""
    (tmp / "a-directory").mkdir()
    (tmp / "bad.toml").write_text("keys = [1,", encoding="utf-8")
    (tmp / "bad.json").write_text("{keys:", encoding="utf-8")
    (tmp / "latin1.toml").write_bytes(b"# caf\xe9\n")
    (tmp / "empty.toml").write_text("", encoding="utf-8")
    (tmp / "not-a-db.db").write_text("hello", encoding="utf-8")
    names = ["a-directory", "bad.toml", "bad.json", "latin1.toml", "empty.toml", "not-a-db.db"]
    return {name: str(tmp / name) for name in [*names, "missing/x.db", "missing.toml"]}


# (argv, extra environment, a phrase the one line must hold); {name} = files(tmp)[name].
BAD: list[tuple[list[str], dict[str, str], str]] = [
    (["--port", "99999"], {}, "port = 99999 is not between 0 and 65535"),
    (["--port", "-1"], {}, "port = -1"),
    (["--port", "x"], {}, "argument --port: invalid int value"),
    (["--seed", "1.5"], {}, "argument --seed"),
    (["--log-level", "loud"], {}, "argument --log-level: invalid choice"),
    (["--journal-size", "-1"], {}, "journal_size = -1"),
    (["--journal-size", str(2**70)], {}, "journal_size"),
    (["--clock-start", "yesterday"], {}, "not an ISO 8601 instant"),
    (["--no-such-flag"], {}, "unrecognized arguments: --no-such-flag"),
    (["--set", "nonsense"], {}, "SECTION.FIELD=VALUE"),
    (["--set", "kintsugi.nope=1"], {}, "nope"),
    (["--set", "nowhere.x=1"], {}, "nowhere"),
    (["--set", "webhooks.concurrency=0"], {}, "webhooks.concurrency must be at least 1"),
    (["--set", "asleep.progression_seconds=nan"], {}, "'nan' is not a finite number"),
    (
        ["--set", "asleep.progression_seconds=1e12"],
        {},
        "asleep.progression_seconds = 1000000000000.0 is not",
    ),
    (["--set", "asleep.chunk_seconds=0"], {}, "asleep.chunk_seconds = 0.0"),
    (["--set", "kintsugi.v1_predict_status=999"], {}, "between 100 and 599"),
    (["--set", "asleep.allowed_rates=16000,x"], {}, "allowed_rates"),
    ([], {"EMULATOR_LOG_LEVEL": "loud"}, "log level 'loud'"),
    ([], {"EMULATOR_WORKERS": "3"}, "add --state-url redis://HOST:PORT/DB"),
    (["--workers", "0"], {}, "--workers must be 1 or more"),
    ([], {"EMULATOR_PORT": "70000"}, "port = 70000"),
    ([], {"EMULATOR_PORT": "x"}, "port"),
    ([], {"EMULATOR_DEMO": "maybe"}, "not a boolean"),
    ([], {"EMULATOR_WEBHOOKS_VERSION": "V9"}, "V9"),
    ([], {"EMULATOR_KINTSUGI_MIN_VOICE_SECONDS": "inf"}, "'inf' is not a finite number"),
    ([], {"EMULATOR_KINTSUGI_MIN_VOICE_SECONDS": "-1"}, "kintsugi.min_voice_seconds = -1.0"),
    (["--config", "{missing.toml}"], {}, "No such file or directory"),
    (["--config", "{a-directory}"], {}, "is a directory"),
    (["--config", "{bad.toml}"], {}, "not valid TOML"),
    (["--config", "{bad.json}"], {}, "not valid JSON"),
    (["--config", "{latin1.toml}"], {}, "not UTF-8 text"),
    (["--config", "{empty.toml}"], {}, "[keys]"),
    (["--state-file", "{a-directory}"], {}, "is a directory"),
    (["--state-file", "{missing/x.db}"], {}, "does not exist"),
    (["--state-file", "{not-a-db.db}"], {}, "not a usable state file"),
    (["health", "--timeout", "-1"], {}, "argument --timeout"),
    (["health", "--url", "ftp://example"], {}, "argument --url"),
    (["bench", "--runs", "0"], {}, "argument --runs: 0 is less than 1"),
    (["bench", "--seconds", "0"], {}, "argument --seconds"),
    (["bench", "--nights", "many"], {}, "argument --nights"),
    (["bench", "--cases", "warp_speed"], {}, "unknown case(s): warp_speed"),
    (["bench", "--json", "{missing/x.db}"], {}, "does not exist"),
    (["record"], {}, "the following arguments are required: --upstream, --out"),
    (["record", "--upstream", "ftp://x", "--out", "{missing/x.db}"], {}, "--upstream must be"),
    (["record", "--upstream", "http://127.0.0.1:9", "--out", "{not-a-db.db}"], {}, "cannot make"),
    (["drift"], {}, "the following arguments are required: recording, --target"),
    (["drift", "{missing.toml}", "--target", "http://127.0.0.1:9"], {}, "is not a directory"),
]


@pytest.mark.parametrize(
    ("argv", "env", "phrase"), BAD, ids=[" ".join(b[0]) or str(b[1]) for b in BAD]
)
def test_bad_configuration_is_one_line_and_exit_2(
    argv: list[str], env: dict[str, str], phrase: str, tmp_path: Path
) -> None:
    paths = files(tmp_path)
    args = [_path(a, paths) for a in argv]
    if not args or args[0] not in ("health", "bench", "record", "drift"):
        # --check: a case that wrongly passes ends instead of serving until the timeout.
        args = ["serve", "--check", *args]
    _exits_2_with_one_line(args, env, tmp_path, phrase)


@pytest.mark.parametrize(
    ("argv", "phrase"),
    [
        (["--port", "65536"], "port = 65536"),
        (["--state-file", "{not-a-db.db}"], "not a usable state file"),
        (["--workers", "2"], "--workers 2 needs a shared store"),
        (["--workers", "2", "--state-file", "x.db"], "--state-file keeps one process"),
        (["--state-url", "http://127.0.0.1:1/0"], "must look like redis://HOST:PORT/DB"),
        (["--state-url", "redis://h/x"], "database in --state-url must be a number"),
        (["--state-file", "x.db", "--state-url", "redis://h/0"], "exclude each other"),
    ],
)
def test_serving_refuses_the_same_way(argv: list[str], phrase: str, tmp_path: Path) -> None:
    paths = files(tmp_path)
    args = ["serve", *(_path(a, paths) for a in argv)]
    _exits_2_with_one_line(args, {}, tmp_path, phrase)


def test_a_port_in_use_is_refused_in_one_line(tmp_path: Path) -> None:
    # A port another socket listens on: refused without looking anything up (an invalid
    # address such as 256.1.1.1 would be resolved, off this machine).
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        phrase = f"cannot listen on 127.0.0.1:{port}"
        _exits_2_with_one_line(["serve", "--port", str(port)], {}, tmp_path, phrase)


def _path(arg: str, paths: dict[str, str]) -> str:
    return paths[arg[1:-1]] if arg.startswith("{") and arg.endswith("}") else arg


def _exits_2_with_one_line(args: list[str], env: dict[str, str], cwd: Path, phrase: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "emulator", *args],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("vendor-emulator")
    assert phrase in done.stderr


def test_check_flag_builds_the_app_and_stops(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    done = subprocess.run(
        [sys.executable, "-m", "emulator", "--check", "--state-file", str(state)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "configuration ok\n", "")
    assert state.exists()


def test_a_state_file_this_user_cannot_write_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state.db"
    state.write_bytes(b"")
    # Permission bits do not stop root, whom these tests may run as: deny access here.
    monkeypatch.setattr(os, "access", lambda *_args, **_kwargs: False)
    assert main(["serve", "--check", "--state-file", str(state)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"state file {state} is not readable and writable by uid " in err


def test_a_state_file_behind_a_closed_directory_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def closed(self: Path, *args: object, **kwargs: object) -> os.stat_result:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "stat", closed)
    assert main(["serve", "--check", "--state-file", str(tmp_path / "x" / "state.db")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.endswith("state.db: Permission denied\n")


def _setting_names(obj: Any, prefix: str = "") -> list[str]:
    names: list[str] = []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            names += _setting_names(value, f"{prefix}{f.name}.")
        else:
            names.append(prefix + f.name)
    return names


SETTINGS = _setting_names(Settings())
TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=12)
VALUES = st.one_of(
    TEXT,
    st.integers().map(str),
    st.floats().map(repr),
    st.sampled_from(["", "-1", "0", "1", "65536", "nan", "-inf", "1e400", "true", "none",
                     "V3", "polls", "record", "debug", "LOUD", "0x10", "1_000", "16000,44100",
                     "2025-01-15T02:50:29Z"]),
)  # fmt: skip


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(assigned=st.dictionaries(st.sampled_from(SETTINGS), VALUES, min_size=1, max_size=3))
def test_any_environment_starts_or_is_one_line(
    assigned: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every setting's variable, any value: ``serve --check`` says ok or one line + 2."""
    monkeypatch.chdir(tmp_path)  # a relative state or address file lands here
    env = {env_name(name): value for name, value in assigned.items()}
    out, err = io.StringIO(), io.StringIO()
    with mock.patch.dict(os.environ, env), redirect_stdout(out), redirect_stderr(err):
        code = main(["serve", "--check"])
    if code == 0:
        assert (out.getvalue(), err.getvalue()) == ("configuration ok\n", "")
    else:
        assert code == 2
        assert err.getvalue().count("\n") == 1, err.getvalue()
        assert err.getvalue().startswith("vendor-emulator: error: ")


def test_an_unreachable_state_store_exits_2(
    refusing: RefusingPort, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"redis://127.0.0.1:{refusing.port}/0"
    assert main(["serve", "--port", "0", "--state-url", url]) == 2
    assert f"cannot reach the state store at redis://127.0.0.1:{refusing.port}/0" in (
        capsys.readouterr().err
    )


@pytest.mark.e2e
def test_two_workers_serve_one_world(redis_url: str) -> None:
    with running("--port", "0", "--workers", "2", "--state-url", redis_url) as (base, line):
        assert line.count("\n") == 1
        key = {"x-api-key": "workers"}
        users = [
            httpx.post(f"{base}/ai/v1/users", headers=key, json={}).json()["result"]["user_id"]
            for _ in range(10)
        ]
        assert len(set(users)) == 10
        # Every new connection may land on either worker: each one knows every user.
        assert {httpx.get(f"{base}/ai/v1/users/{u}", headers=key).status_code for u in users} == {
            200
        }


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
    proc = _spawn("--port", "0", "--demo")
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


def _first_lines(*args: str, env: dict[str, str] | None = None) -> tuple[str, str]:
    """The start-up line and everything said on stderr until the process is stopped."""
    proc = _spawn(*args, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=15)
    return line, err


def test_listening_beyond_loopback_without_a_token_warns(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # What serve prints for the address it bound, called directly: a test never opens a
    # server on every interface (tests bind loopback only).
    from emulator.cli.serving import _announce

    assert _announce(Settings(), "0.0.0.0", 8123) is None
    out, err = capsys.readouterr()
    assert "listening on http://0.0.0.0:8123" in out
    assert "warning: listening on 0.0.0.0 beyond this machine without a control token" in err
    assert _announce(Settings(control_token="t0k3n"), "0.0.0.0", 8123) is None
    out, err = capsys.readouterr()
    assert "listening on" in out
    assert "warning" not in err
    line, err = _first_lines("--port", "0")
    assert "listening on http://127.0.0.1:" in line
    assert "warning" not in err


def test_the_access_log_masks_credentials_in_query_strings() -> None:
    import logging

    from emulator.cli.serving import _mask_access_line
    from emulator.core.secrets import mask

    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", "/_emulator/requests?api_key=team-a&limit=2", "1.1", 200), None,
    )  # fmt: skip
    assert _mask_access_line(record)
    assert record.getMessage() == (
        f'127.0.0.1:5 - "GET /_emulator/requests?api_key={mask("team-a")}&limit=2 HTTP/1.1" 200'
    )
