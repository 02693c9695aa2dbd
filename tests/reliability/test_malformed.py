"""Malformed requests to every vendor route: a 4xx in the vendor's body shape, never a 5xx.

The corpus is generated from both vendors' route tables (``asleep.vendor().routes``,
``kintsugi.vendor().routes``), so a new endpoint is covered without editing this file:

* credentials: no ``x-api-key``, an empty one; Asleep's ``x-user-id`` missing,
  malformed, unknown, huge, non-ASCII; a bad ``timezone`` header;
* path parameters: unknown, malformed, non-ASCII, 5,000 characters, percent-escapes;
* bodies (POST/PUT/PATCH): empty, invalid JSON, JSON of the wrong type, nesting
  100,000 deep, numbers past every range (``1e999``, ``NaN``, a 5,000-digit integer),
  every field the vendors read set to each wrong type, forms with the same values as
  text (superscript and Arabic-Indic digits included), broken multipart (no boundary,
  wrong boundary, truncated, parts without a name, the file sent as text, a 100 KB
  part header), a valid multipart upload with one bad text field at a time, wrong
  content types;
* query strings the Data API parses, set to junk.

So that the malformed part is what gets judged, every other part of a request is
real: the API key, a known user, and a fresh record where the request would use one
up (a new open Asleep session per upload or close, a new Kintsugi session per
prediction, a predicted one per feedback, a new user per delete).

Body shapes: Asleep ``{"detail": str | list}`` (asleep-api.md §2.4); Kintsugi v1
``{"error": str[, "context"]}`` and v2 ``{"message": str[, "context"]}`` (seed 002,
kintsugi-api.md §4.8). Every body must also be strict JSON (no ``Infinity``/``NaN``).
Some variants are legitimately accepted (an empty body where every field is optional,
a GET that ignores its body, a form whose odd text is a valid free-text value); those
2xx answers are counted and printed. Requests that must be refused whatever the route
(no API key, an unparseable body where a field is required, a session call without a
usable ``x-user-id``) are asserted to be 4xx.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.routing import Route

from emulator import asleep, kintsugi
from emulator.bench import flows
from tests.reliability.conftest import Launch

pytestmark = [pytest.mark.reliability, pytest.mark.e2e]

BOUNDARY = "corpus-boundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
SESSION = "@SESSION@"  # replaced by a fresh Kintsugi session id when sent
FIELDS = (
    "user_id", "is_initiated", "metadata", "session_id", "data", "actual_score", "file",
    "start_time", "end_time", "inference_type", "callback_url", "callback_version",
    "service", "seq_num", "timezone", "unexpected", "age", "gender", "weight", "zipcode",
    "allowed_sample_rate",
)  # fmt: skip
WRONG_VALUES: tuple[Any, ...] = (
    None, True, -1, 0, 10**30, -(10**30), 1.5, 1e308, "", " ", "\u0000", "😴" * 50,
    "\uff4c\uff4f\uff4e\uff47" * 2000, "²", "١٢٣", "-0", "NaN", "9" * 5000,
    [], [1, 2], {}, {"a": {"b": []}},
)  # fmt: skip
FORM_VALUES = ("", "²", "١٢٣", "-1", "1e309", "9" * 5000, "99999999999999999999", "😴",
               "\u202e", "true", "x" * 10_000)  # fmt: skip
PATH_VALUES = (
    "unknown-id", "G-20250101000000-ABCDEFGHIJKLMNOPQRST", "20250114220000_zzzzz", "😴",
    "a" * 5000, "%00", "%2e%2e", "-1", "1e999", "null", " ", "٣",
)  # fmt: skip
# Text fields the multipart endpoints read (Asleep upload; Kintsugi predict/feedback).
TEXT_FIELDS = ("seq_num", "session_id", "callback_url", "allowed_sample_rate", "actual_score")
QUERIES = (
    {"limit": "abc"}, {"limit": str(10**30)}, {"limit": "-1"}, {"offset": "²"},
    {"order_by": "sideways"}, {"date_gte": "2025-13-45"}, {"date_lte": "😴"},
    {"start_date": "2025-01-01", "end_date": "9" * 5000}, {"start_date": "x", "end_date": ""},
    {"timezone": "Mars/Olympus_Mons"}, {"seq_num": "²"}, {"seq_num": "9" * 5000},
)  # fmt: skip


def _routes() -> Iterator[tuple[str, str]]:
    for vendor in (asleep.vendor(), kintsugi.vendor()):
        for route in vendor.routes:
            assert isinstance(route, Route)
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    yield method, route.path


def _is_asleep(template: str) -> bool:
    return template.startswith(("/ai", "/data"))


def _uses_record(method: str, template: str) -> bool:
    """Requests that consume the record they name (so each probe gets a fresh one)."""
    return method != "GET" and ("{session_id}" in template or method == "DELETE")


# Endpoints with at least one required body field: a body that cannot be parsed at
# all (or carries none of it) must be refused there.
REQUIRED_BODY = {
    ("PUT", "/ai/v1/users/{user_id}"),
    ("POST", "/ai/v1/sessions/{session_id}/upload"),
    ("POST", "/v1/initiate"),
    ("POST", "/v2/initiate"),
    *(
        (m, p)
        for m, p in _routes()
        if m != "GET" and ("/predict" in p or "/prediction" in p or "/feedback" in p)
    ),
}


@dataclass
class Probe:
    """One malformed request, and whether every route must refuse it."""

    label: str
    method: str
    template: str
    headers: dict[str, str | bytes]
    content: bytes = b""
    params: dict[str, str] = field(default_factory=dict)
    path_value: str | None = None  # replaces the path parameters when set
    must_refuse: bool = False


class World:
    """Real records, made through the vendor APIs, for the parts that are not malformed."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self.nights = 0
        self.npy = flows.tiny_melspectrogram()
        self.wav = flows.speech_wav(3, 16000)
        self.user = flows.new_user(http)
        self.completed = self._asleep_session(self.user)
        flows.upload(http, self.user, self.completed, 0, self.npy)
        flows.close(http, self.user, self.completed)
        self.v2_predicted = self.kintsugi_session(2, predicted=True)

    def _asleep_session(self, user: str) -> str:
        self.nights += 1
        return flows.new_session(self.http, user, start=flows.night_start(self.nights))

    def kintsugi_session(self, version: int, *, predicted: bool) -> str:
        if version == 1:
            session_id = flows.kintsugi_initiate_v1(self.http, "corpus-user")
        else:
            body = {"user_id": "corpus-user", "is_initiated": True}
            session_id = self.http.post("/v2/initiate", json=body).json()["session_id"]
        if predicted:
            path = "/v1/predict/server/depression/binary" if version == 1 else "/v2/prediction/"
            files = {"file": ("a.wav", self.wav, "audio/wav")}
            self.http.post(path, data={"session_id": session_id}, files=files).raise_for_status()
        return session_id

    def path(self, probe: Probe) -> str:
        template = probe.template
        if probe.path_value is not None:
            values = dict.fromkeys(("{user_id}", "{session_id}"), probe.path_value)
        elif _is_asleep(template):
            fresh = _uses_record(probe.method, template)
            user = flows.new_user(self.http) if fresh and "/users/" in template else self.user
            session = self._asleep_session(self.user) if fresh else self.completed
            values = {"{user_id}": user, "{session_id}": session}
        else:
            values = {"{user_id}": "corpus-user", "{session_id}": self.v2_predicted}
        for name, value in values.items():
            template = template.replace(name, value)
        return template

    def content(self, probe: Probe) -> bytes:
        if SESSION.encode() not in probe.content:
            return probe.content
        version = 1 if probe.template.startswith("/v1") else 2
        fresh = self.kintsugi_session(version, predicted="/feedback" in probe.template)
        return probe.content.replace(SESSION.encode(), fresh.encode())


def _multipart(parts: list[tuple[str, bytes, str | None]], *, close: bool = True) -> bytes:
    out = b""
    for name, value, filename in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        out += value + b"\r\n"
    return out + (f"--{BOUNDARY}--\r\n".encode() if close else b"")


def _bodies(audio: bytes) -> Iterator[tuple[str, str, bytes, bool]]:
    """(label, content type, body, unparseable whatever the endpoint)."""
    json_type = "application/json"
    yield "empty JSON body", json_type, b"", False
    yield "invalid JSON", json_type, b'{"user_id": ', True
    yield "JSON of invalid UTF-8", json_type, b'{"user_id": "\xff\xfe"}', True
    yield "JSON array", json_type, b"[1, 2, 3]", False
    yield "JSON string", json_type, b'"text"', False
    yield "JSON null", json_type, b"null", False
    yield "JSON 1e999", json_type, b"1e999", False
    nan = b'{"metadata": {"height": NaN, "weight": Infinity}, "age": -Infinity}'
    yield "JSON NaN and Infinity", json_type, nan, False
    yield "JSON 1e999 in fields", json_type, b'{"metadata": {"height": 1e999}, "age": 1e999}', False
    yield "JSON 5000-digit integer", json_type, b'{"seq_num": ' + b"9" * 5000 + b"}", False
    yield "JSON nested 100000 deep", json_type, b"[" * 100_000 + b"]" * 100_000, True
    yield "JSON object nested deep", json_type, b'{"a":' * 50_000 + b"1" + b"}" * 50_000, True
    for value in WRONG_VALUES:
        every = dict.fromkeys(FIELDS, value)
        label = f"JSON every field = {str(value)[:20]!r}"
        yield label, json_type, json.dumps(every).encode(), False
        yield (
            f"{label}, real session",
            json_type,
            json.dumps({**every, "session_id": SESSION}).encode(),
            False,
        )
    form_type = "application/x-www-form-urlencoded"
    for text in FORM_VALUES:
        every_text = dict.fromkeys(FIELDS, text)
        label = f"form every field = {text[:20]!r}"
        yield label, form_type, str(httpx.QueryParams(every_text)).encode(), False
        real = str(httpx.QueryParams({**every_text, "session_id": SESSION})).encode()
        yield f"{label}, real session", form_type, real, False
    yield "form of invalid UTF-8", form_type, b"user_id=%FF%FE&seq_num=%FF&age=%FF", False
    good = _multipart([("session_id", SESSION.encode(), None), ("file", b"RIFF....WAVE", "a.wav")])
    yield "multipart without boundary", "multipart/form-data", good, False
    yield "multipart, wrong boundary", "multipart/form-data; boundary=other", good, False
    yield "multipart truncated", MULTIPART, good[: len(good) // 2], False
    unclosed = _multipart(
        [("seq_num", b"1", None), ("session_id", SESSION.encode(), None)], close=False
    )
    yield "multipart without closing", MULTIPART, unclosed, False
    yield "multipart garbage", MULTIPART, b"\x00\xff" * 500, False
    nameless = f"--{BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nx\r\n--{BOUNDARY}--\r\n".encode()
    yield "multipart part without name", MULTIPART, nameless, False
    as_text = _multipart([("file", b"not audio", None), ("session_id", SESSION.encode(), None)])
    yield "multipart file as text", MULTIPART, as_text, False
    junk = _multipart(
        [
            ("file", b"RIFF\xff\xff\xff\xffWAVEjunk", "a.wav"),
            ("seq_num", b"0", None),
            ("session_id", SESSION.encode(), None),
        ]
    )
    yield "multipart junk WAV", MULTIPART, junk, False
    yield "multipart seq_num as file", MULTIPART, _multipart([("seq_num", b"3", "3.txt")]), False
    empty = _multipart(
        [
            ("file", b"", "empty.wav"),
            ("seq_num", b"0", None),
            ("session_id", SESSION.encode(), None),
        ]
    )
    yield "multipart empty file", MULTIPART, empty, False
    twice = _multipart(
        [
            ("file", audio, "a.wav"),
            ("file", audio, "b.wav"),
            ("seq_num", b"0", None),
            ("seq_num", b"1", None),
            ("session_id", SESSION.encode(), None),
        ]
    )
    yield "multipart fields twice", MULTIPART, twice, False
    name = "n" * 100_000
    huge = _multipart([(name, b"x", None)])
    yield "multipart 100 KB part header", MULTIPART, huge, False
    yield "text/plain", "text/plain", b"hello", False
    yield "application/xml", "application/xml", b"<a><b>1</b></a>", False
    yield "image/png bytes", "image/png", b"\x89PNG\r\n\x1a\n" + bytes(200), False
    # A well-formed multipart upload with one bad text field at a time.
    for text_field in TEXT_FIELDS:
        for text in FORM_VALUES:
            parts = [("file", audio, "audio.bin"), (text_field, text.encode(), None)]
            if text_field != "session_id":
                parts.append(("session_id", SESSION.encode(), None))
            yield f"multipart {text_field} = {text[:20]!r}", MULTIPART, _multipart(parts), False


def corpus(world: World) -> Iterator[Probe]:
    # Deletions last: they remove what the other probes lean on.
    ordered = sorted(_routes(), key=lambda route: route[0] == "DELETE")
    for method, template in ordered:
        is_asleep = _is_asleep(template)
        auth: dict[str, str | bytes] = {"x-api-key": flows.API_KEY}
        if is_asleep:
            auth["x-user-id"] = world.user
        yield Probe("no x-api-key", method, template, {}, must_refuse=True)
        yield Probe("empty x-api-key", method, template, {"x-api-key": ""}, must_refuse=True)
        if is_asleep:
            for label, value in (
                ("x-user-id missing", None),
                ("x-user-id malformed", "not-a-user"),
                ("x-user-id unknown", "G-20250101000000-ABCDEFGHIJKLMNOPQRST"),
                ("x-user-id huge", "G-" + "A" * 8000),
                ("x-user-id non-ASCII", "G-ñ😴".encode()),
            ):
                headers: dict[str, str | bytes] = {"x-api-key": flows.API_KEY}
                if value is not None:
                    headers["x-user-id"] = value
                # Session-scoped calls need a known, well-formed x-user-id (§4.5).
                refuse = "/sessions" in template
                yield Probe(label, method, template, headers, must_refuse=refuse)
            tz = {**auth, "timezone": "Mars/Olympus_Mons"}
            yield Probe("bad timezone header", method, template, tz)
        if "{" in template:
            for value in PATH_VALUES:
                yield Probe(f"path id {value[:20]!r}", method, template, auth, path_value=value)
        if method in ("POST", "PUT", "PATCH"):
            audio = world.npy if is_asleep else world.wav
            for label, ctype, body, unparseable in _bodies(audio):
                headers = {**auth, "content-type": ctype}
                refuse = unparseable and (method, template) in REQUIRED_BODY
                yield Probe(label, method, template, headers, body, must_refuse=refuse)
        if method == "GET":
            for query in QUERIES:
                yield Probe(f"query {sorted(query)}", method, template, auth, params=query)


def _raw(headers: dict[str, str | bytes]) -> dict[bytes, bytes]:
    return {k.encode(): v if isinstance(v, bytes) else v.encode() for k, v in headers.items()}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"not strict JSON: {name}")


def shape_problem(path: str, text: str) -> str | None:
    """Why this error body is not the vendor's shape, or None when it is."""
    try:
        body = json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        return f"not JSON ({exc}): {text[:200]!r}"
    if not isinstance(body, dict):
        return f"not an object: {text[:200]!r}"
    if _is_asleep(path):
        ok = set(body) == {"detail"} and isinstance(body["detail"], str | list)
    else:
        key = "error" if path.startswith("/v1") else "message"
        ok = (
            isinstance(body.get(key), str)
            and set(body) <= {key, "context"}
            and isinstance(body.get("context", {}), dict)
        )
    return None if ok else f"not the vendor's error shape: {text[:200]!r}"


def test_malformed_requests_get_vendor_shaped_4xx(launch: Launch) -> None:
    live = launch("kintsugi.min_voice_seconds=1")
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    accepted = 0
    with (
        httpx.Client(
            base_url=live.base_url, timeout=30, headers={"x-api-key": flows.API_KEY}
        ) as setup,
        httpx.Client(base_url=live.base_url, timeout=30) as http,
    ):
        world = World(setup)
        probes = list(corpus(world))
        for probe in probes:
            path = world.path(probe)
            where = f"{probe.method} {probe.template} [{probe.label}]"
            try:
                response = http.request(
                    probe.method,
                    path,
                    headers=_raw(probe.headers),
                    content=world.content(probe),
                    params=probe.params,
                )
            except httpx.TransportError as exc:
                statuses[0] += 1
                failures.append(f"{where}: no answer ({exc!r})")
                continue
            status = response.status_code
            statuses[status] += 1
            if status >= 500:
                failures.append(f"{where}: {status} {response.text[:200]}")
            elif status >= 400:
                problem = shape_problem(probe.template, response.text)
                if problem:
                    failures.append(f"{where}: {status} {problem}")
            elif probe.must_refuse:
                failures.append(f"{where}: accepted with {status}")
            else:
                accepted += 1
    codes = ", ".join(f"{code}: {n}" for code, n in sorted(statuses.items()))
    print(
        f"\nmalformed corpus: {len(probes):,} requests over {len(list(_routes()))} "
        f"route/method pairs; statuses {codes}; failures {len(failures)}; "
        f"accepted as valid input {accepted}"
    )
    assert live.alive()
    assert failures == [], f"{len(failures)} failures:\n" + "\n".join(failures[:60])
    assert live.crashes() == []
