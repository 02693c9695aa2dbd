"""Progression policies and ``POST /_emulator/advance``, driven through a stand-in job API.

The vendors' asynchronous jobs (Kintsugi v2 predictions, Asleep CLOSED -> COMPLETE)
read ``rt.progression(vendor)`` at every poll and register an advancer; the fake job
routes below do exactly that, so every mode is exercised end to end over HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.core.lifecycle import Progress
from emulator.core.runtime import Runtime, runtime
from emulator.core.secrets import mask
from emulator.core.tables import Namespace, Table
from emulator.settings import AsleepSettings, KintsugiSettings, Settings

K1 = {"x-api-key": "k1"}
K2 = {"x-api-key": "k2"}


@dataclass
class Job:
    id: str
    progress: Progress

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "progress": self.progress.to_json()}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Job:
        return cls(raw["id"], Progress.from_json(raw["progress"]))


def _jobs(ns: Namespace) -> Table[Job]:
    return ns.table("test.jobs", Job.from_json)


async def _create(request: Request) -> Response:
    rt = runtime(request)
    ns = rt.store.namespace(request.headers["x-api-key"])
    job = Job(f"job-{ns.next_id('test.jobs')}", Progress(rt.clock.timestamp()))
    _jobs(ns).put(job.id, job)
    return JSONResponse({"id": job.id}, status_code=201)


async def _poll(request: Request) -> Response:
    rt = runtime(request)
    jobs = _jobs(rt.store.namespace(request.headers["x-api-key"]))
    job = jobs.get(request.path_params["job_id"])
    assert job is not None
    done = job.progress.observe(rt.progression("kintsugi"), rt.clock.timestamp())
    jobs.put(job.id, job)
    return JSONResponse({"status": "done" if done else "processing"})


def _advancer(rt: Runtime) -> Any:
    def advance(api_key: str | None, session_id: str | None) -> int:
        count = 0
        for tenant in [api_key] if api_key is not None else rt.store.tenants():
            jobs = _jobs(rt.store.namespace(tenant))
            for job in jobs.values():
                if session_id not in (None, job.id):
                    continue
                if not job.progress.done(rt.progression("kintsugi"), rt.clock.timestamp()):
                    job.progress.force()
                    jobs.put(job.id, job)
                    count += 1
        return count

    return advance


def _app(settings: Settings | None = None) -> TestClient:
    app = create_app(settings or Settings(clock_start="2025-01-15T00:00:00Z", clock_frozen=True))
    app.router.routes.extend(
        [
            Route("/v2/test-jobs", _create, methods=["POST"]),
            Route("/v2/test-jobs/{job_id}", _poll, methods=["GET"]),
        ]
    )
    rt: Runtime = app.state.runtime
    rt.advancers["kintsugi"] = _advancer(rt)
    return TestClient(app)


@pytest.fixture
def client() -> Iterator[TestClient]:
    with _app() as c:
        yield c


def _polls(client: TestClient, job_id: str, n: int, headers: dict[str, str] = K1) -> list[str]:
    return [
        client.get(f"/v2/test-jobs/{job_id}", headers=headers).json()["status"] for _ in range(n)
    ]


def _job(client: TestClient, headers: dict[str, str] = K1) -> str:
    job_id: str = client.post("/v2/test-jobs", headers=headers).json()["id"]
    return job_id


def _mode(client: TestClient, **policy: object) -> None:
    r = client.put("/_emulator/progression", json={"kintsugi": policy})
    assert r.status_code == 200, r.text


# ----------------------------------------------------------------------------- the four modes


def test_immediate(client: TestClient) -> None:
    _mode(client, mode="immediate")
    assert _polls(client, _job(client), 2) == ["done", "done"]


def test_after_n_polls(client: TestClient) -> None:
    _mode(client, mode="polls", polls=2)
    assert _polls(client, _job(client), 4) == ["processing", "processing", "done", "done"]


def test_the_settings_default_sees_processing_once(client: TestClient) -> None:
    # kintsugi.progression = polls, progression_polls = 1 (the SDK README's loop).
    assert _polls(client, _job(client), 3) == ["processing", "done", "done"]


def test_after_t_seconds_on_the_virtual_clock(client: TestClient) -> None:
    _mode(client, mode="seconds", seconds=30)
    job = _job(client)
    assert _polls(client, job, 3) == ["processing"] * 3
    client.post("/_emulator/clock", json={"advance": 29.5})
    assert _polls(client, job, 1) == ["processing"]
    client.post("/_emulator/clock", json={"advance": 0.5})
    assert _polls(client, job, 1) == ["done"]


def test_manual_waits_for_advance(client: TestClient) -> None:
    _mode(client, mode="manual")
    job, other = _job(client), _job(client)
    assert _polls(client, job, 5) == ["processing"] * 5
    r = client.post(f"/_emulator/advance?api=kintsugi&api_key=k1&session_id={job}")
    assert r.json() == {
        "advanced": {"kintsugi": 1},
        "total": 1,
        "api_key": mask("k1"),
        "session_id": job,
    }
    assert _polls(client, job, 1) == ["done"]
    assert _polls(client, other, 1) == ["processing"]


def test_advance_everything_or_one_tenant(client: TestClient) -> None:
    _mode(client, mode="manual")
    for headers in (K1, K1, K2):
        _job(client, headers)
    assert client.post("/_emulator/advance?api_key=k2").json()["advanced"] == {
        "asleep": 0,
        "kintsugi": 1,
    }
    assert client.post("/_emulator/advance").json()["total"] == 2
    assert client.post("/_emulator/advance").json()["total"] == 0


def test_changing_the_policy_applies_to_jobs_already_running(client: TestClient) -> None:
    _mode(client, mode="manual")
    job = _job(client)
    assert _polls(client, job, 2) == ["processing"] * 2
    _mode(client, mode="polls", polls=2)
    assert _polls(client, job, 1) == ["done"]  # it has been looked at twice already


# ----------------------------------------------------------------------------- the API itself


def test_policies_start_from_the_settings() -> None:
    settings = Settings(
        kintsugi=KintsugiSettings(progression="manual"),
        asleep=AsleepSettings(progression="seconds", progression_seconds=90),
    )
    with TestClient(create_app(settings)) as client:
        assert client.get("/_emulator/progression").json() == {
            "asleep": {"mode": "seconds", "polls": 1, "seconds": 90.0},
            "kintsugi": {"mode": "manual", "polls": 1, "seconds": 5.0},
        }


def test_put_changes_only_what_it_names(client: TestClient) -> None:
    r = client.put(
        "/_emulator/progression",
        json={"kintsugi": {"mode": "manual"}, "asleep": {"mode": "polls", "polls": 2}},
    )
    assert r.json() == {
        "asleep": {"mode": "polls", "polls": 2, "seconds": 60.0},
        "kintsugi": {"mode": "manual", "polls": 1, "seconds": 5.0},
    }
    rt: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    assert rt.progression("asleep").polls == 2


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "progression body is"),
        ({"stripe": {"mode": "manual"}}, "no progression for 'stripe'"),
        ({"kintsugi": "manual"}, "takes an object"),
        ({"kintsugi": {"mode": "later"}}, "mode must be one of"),
        ({"kintsugi": {"polls": -1}}, "polls must be"),
        ({"kintsugi": {"polls": 1.5}}, "polls must be"),
        ({"kintsugi": {"seconds": "5"}}, "seconds must be"),
        ({"kintsugi": {"speed": 2}}, "unknown field(s) speed"),
        ({"asleep": {"mode": "manual"}, "kintsugi": {"mode": "?"}}, "mode must be one of"),
    ],
)
def test_bad_policies_are_400s_that_change_nothing(
    client: TestClient, body: object, message: str
) -> None:
    before = client.get("/_emulator/progression").json()
    r = client.put("/_emulator/progression", json=body)
    assert r.status_code == 400
    assert message in r.json()["message"]
    assert client.get("/_emulator/progression").json() == before


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("api=stripe", "api must be one of"),
        ("api_key=", "must not be empty"),
        ("session_id=", "must not be empty"),
    ],
)
def test_bad_advance_requests(client: TestClient, query: str, message: str) -> None:
    r = client.post(f"/_emulator/advance?{query}")
    assert r.status_code == 400
    assert message in r.json()["message"]


@pytest.mark.parametrize("api", ["asleep", "kintsugi"])
def test_each_vendor_registers_an_advancer(client: TestClient, api: str) -> None:
    r = client.post(f"/_emulator/advance?api={api}")
    assert r.status_code == 200
    assert r.json()["advanced"] == {api: 0}


def test_advance_with_nothing_pending_advances_nothing() -> None:
    with TestClient(create_app()) as client:
        body = client.post("/_emulator/advance").json()
    assert "kintsugi" in body["advanced"]
    assert set(body["advanced"].values()) == {0}
    assert body["total"] == 0


def test_reset_restores_the_settings_policies(client: TestClient) -> None:
    _mode(client, mode="manual")
    client.post("/_emulator/reset?api_key=k1")
    assert client.get("/_emulator/progression").json()["kintsugi"]["mode"] == "manual"
    client.post("/_emulator/reset")
    assert client.get("/_emulator/progression").json()["kintsugi"]["mode"] == "polls"
