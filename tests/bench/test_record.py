"""The recording proxy in-process: forwards unchanged, answers unchanged, stores redacted;
an unreachable upstream is a 502 and nothing stored; bad command lines are exit 2."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from emulator.bench import record
from emulator.bench.record import Recorder
from emulator.cli import main


def test_forwards_and_stores(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def upstream(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            201,
            json={"session_id": "s-1", "user_id": "jane"},
            headers={"x-vendor": "yes", "set-cookie": "a=1", "retry-after": "3"},
        )

    async def scenario() -> httpx.Response:
        proxy = Recorder("http://vendor.invalid", tmp_path, transport=httpx.MockTransport(upstream))
        transport = httpx.ASGITransport(app=proxy)
        async with httpx.AsyncClient(transport=transport, base_url="http://proxy") as client:
            answer = await client.post(
                "/v2/initiate?x=1",
                json={"user_id": "jane", "is_initiated": True},
                headers={"X-API-Key": "secret", "Authorization": "Bearer t"},
            )
        await proxy.aclose()
        return answer

    answer = asyncio.run(scenario())
    assert answer.status_code == 201
    assert answer.json() == {"session_id": "s-1", "user_id": "jane"}  # the client sees all
    assert answer.headers["x-vendor"] == "yes"
    (sent,) = seen
    assert sent.url.path == "/v2/initiate"
    assert sent.url.query == b"x=1"
    assert sent.headers["x-api-key"] == "secret"  # the vendor gets the real key
    stored = json.loads((tmp_path / "000001.json").read_text(encoding="utf-8"))
    text = json.dumps(stored)
    assert "secret" not in text
    assert "jane" not in text
    assert "Bearer" not in text
    assert stored["request"]["query"] == [["x", "1"]]
    assert stored["response"]["headers"] == {
        "content-type": "application/json",
        "retry-after": "3",
    }
    assert stored["response"]["body"]["json"]["session_id"] == "s-1"


def test_an_unreachable_upstream_is_a_502_and_not_stored(tmp_path: Path) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async def scenario() -> httpx.Response:
        proxy = Recorder("http://vendor.invalid", tmp_path, transport=httpx.MockTransport(down))
        transport = httpx.ASGITransport(app=proxy)
        async with httpx.AsyncClient(transport=transport, base_url="http://proxy") as client:
            answer = await client.get("/v2/x")
        await proxy.aclose()
        return answer

    answer = asyncio.run(scenario())
    assert answer.status_code == 502
    assert answer.json()["error"] == "upstream_unreachable"
    assert list(tmp_path.glob("[0-9]*.json")) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--upstream", "vendor.example", "--out", "x"], "--upstream must be an http(s) URL"),
        (["--upstream", "http://a", "--out", "x", "--port", "70000"], "--port must be"),
        (["--out", "x"], "the following arguments are required: --upstream"),
    ],
)
def test_bad_command_lines(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["record", *args])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_a_directory_with_a_recording_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "000001.json").write_text("{}")
    with pytest.raises(SystemExit):
        record.main(["--upstream", "http://a", "--out", str(tmp_path)])
    assert "already holds a recording" in capsys.readouterr().err
