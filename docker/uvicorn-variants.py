"""Requests/s of the emulator under each uvicorn event loop and HTTP parser.

Why the image keeps uvloop and httptools (docs/docker.md): the emulator is served by
uvicorn with loop = uvloop | asyncio and http = httptools | h11, one variant at a time,
and wrk (16 connections, 5 s, after a 1 s warm-up) reads one stored 8-hour night
(GET /data/v3/sessions/{id}) and the health endpoint.

Usage: python docker/uvicorn-variants.py [ROUNDS]     (needs wrk; port 18311)
"""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from emulator.bench import flows

PORT = 18311
VARIANTS = [
    ("uvloop", "httptools"),
    ("asyncio", "h11"),
    ("uvloop", "h11"),
    ("asyncio", "httptools"),
]


def start(loop: str, parser: str) -> subprocess.Popen[bytes]:
    code = (
        "import uvicorn; from emulator.app import create_app; from emulator.settings import "
        f"Settings; uvicorn.run(create_app(Settings()), host='127.0.0.1', port={PORT}, "
        f"loop='{loop}', http='{parser}', log_level='warning')"
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=1)
            conn.request("GET", "/_emulator/health")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.01)


def wrk(path: str, headers: dict[str, str], seconds: int) -> tuple[float, str]:
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "headers.lua"
        script.write_text("".join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in headers.items()))
        out = subprocess.run(
            ["wrk", "-t1", "-c16", f"-d{seconds}s", "--latency", "-s", str(script),
             f"http://127.0.0.1:{PORT}{path}"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"99%\s+(\S+)", out)
    if rate is None or p99 is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    return float(rate.group(1)), p99.group(1)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    print(f"load: {os.getloadavg()}")
    for loop, parser in VARIANTS * rounds:
        proc = start(loop, parser)
        try:
            with flows.client(f"http://127.0.0.1:{PORT}") as client:
                user = flows.new_user(client)
                night = flows.injected_night(
                    client, user, flows.hypnogram_body(), start=flows.night_start(0)
                )
            headers = {"x-api-key": flows.API_KEY, "x-user-id": user}
            wrk(f"/data/v3/sessions/{night}", headers, 1)
            session = wrk(f"/data/v3/sessions/{night}", headers, 5)
            health = wrk("/_emulator/health", {}, 5)
            print(
                f"{loop:8} {parser:9}  session GET {session[0]:7.0f} req/s p99 {session[1]:>8}"
                f"  health {health[0]:7.0f} req/s p99 {health[1]:>8}",
                flush=True,
            )
        finally:
            proc.terminate()
            proc.wait()
    print(f"load: {os.getloadavg()}")


if __name__ == "__main__":
    main()
