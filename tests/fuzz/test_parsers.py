"""Property-based tests of the parsers of user input: beacon batches, import files, preferences `extra`.

Each parser is driven directly (any input gives a result or a clean AppError, never anything else) and
through the running API (any input gives a documented 2xx/4xx answer, never a 5xx)."""

from __future__ import annotations

import csv
import gzip
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.accounts.preferences import MAX_EXTRA_BYTES, PreferenceError, apply_patch, check_extra, merge_extra
from app.catalog.importer import CSV_REQUIRED, decode_upload
from app.clickstream.events import MAX_EVENTS, REQUIRED_FIELDS, Event, Rejection, check_event, parse_batch
from app.errors import AppError
from documents import Preferences
from tests.fuzz.conftest import Live

PURE = settings(max_examples=300, deadline=None, database=None)
OVER_HTTP = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
NOW = datetime.now(UTC)
MAX_AGE = timedelta(days=1)


def json_like(floats: st.SearchStrategy[float], leaves: int = 25) -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | floats | st.text(max_size=30)
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=12), inner, max_size=6),
        max_leaves=leaves,
    )


json_values = json_like(st.floats(allow_nan=True))  # NaN and infinities too: JavaScript sends them
finite_json = json_like(st.floats(allow_nan=False, allow_infinity=False))
idents = st.text("abcdefghijklmnopqrstuvwxyzABCDEF0123456789_-", min_size=8, max_size=64)
refs = st.text("abcdefghijklmnopqrstuvwxyz0123456789_.:-", min_size=1, max_size=64)


@st.composite
def good_events(draw: st.DrawFn) -> dict[str, Any]:
    """Events as the storefront builds them: every type with what it needs, and sometimes more."""
    kind = draw(st.sampled_from(sorted(REQUIRED_FIELDS)))
    event: dict[str, Any] = {
        "event_id": draw(idents),
        "type": kind,
        "anonymous_id": draw(idents),
        "occurred_at": (NOW - draw(st.timedeltas(timedelta(0), timedelta(hours=23)))).isoformat(),
    }
    values = {
        "wine_id": refs,
        "rec_id": refs,
        "query": st.text(min_size=1, max_size=200),
        "position": st.integers(0, 10_000),
        "results_count": st.integers(0, 10_000_000),
        "surface": st.text("abcxyz_.:-", min_size=1, max_size=40),
    }
    for name in REQUIRED_FIELDS[kind]:
        event[name] = draw(values[name])
    return event


def batch_body(events: list[Any]) -> bytes:
    return json.dumps(events, allow_nan=True).encode()


# ---------------------------------------------------------------- beacon batches, directly
@PURE
@given(st.binary(max_size=2000) | st.builds(batch_body, st.lists(json_values, max_size=120)))
def test_any_body_is_a_batch_or_a_clean_refusal(body: bytes) -> None:
    try:
        raws = parse_batch(body)
    except AppError as exc:
        refused = exc.status_code
    else:
        refused = 0
    if refused:
        assert refused in (400, 413)
        return
    assert 1 <= len(raws) <= MAX_EVENTS
    for raw in raws:
        verdict = check_event(raw, NOW, MAX_AGE)
        assert isinstance(verdict, Event | Rejection)
        if isinstance(verdict, Rejection):
            assert verdict.reason in {"invalid", "unknown_type", "missing_field", "occurred_in_future", "too_old"}


@PURE
@given(st.lists(good_events(), min_size=1, max_size=MAX_EVENTS))
def test_well_formed_events_are_taken_whole(events: list[dict[str, Any]]) -> None:
    raws = parse_batch(batch_body(events))
    for sent, raw in zip(events, raws, strict=True):
        checked = check_event(raw, NOW, MAX_AGE)
        assert isinstance(checked, Event), checked
        assert (checked.event_id, checked.type, checked.wine_id) == (
            sent["event_id"],
            sent["type"],
            sent.get("wine_id"),
        )


@PURE
@given(good_events(), st.text(min_size=1, max_size=20).filter(lambda k: k not in Event.__struct_fields__), finite_json)
def test_an_unknown_field_is_refused_not_stored(event: dict[str, Any], key: str, value: Any) -> None:
    (raw,) = parse_batch(batch_body([{**event, key: value}]))
    assert isinstance(check_event(raw, NOW, MAX_AGE), Rejection)


# ---------------------------------------------------------------- preferences extra, directly
extra_keys = st.text(max_size=45) | st.sampled_from(["$where", "a.b", "ok_key", "x" * 41, "", "-lead"])
extras = st.dictionaries(extra_keys, json_like(st.floats(), leaves=6), max_size=22)
finite_extras = st.dictionaries(extra_keys, json_like(st.floats(allow_nan=False, allow_infinity=False), 6), max_size=22)


@PURE
@given(extras)
def test_extra_is_kept_only_within_its_bounds(extra: dict[str, Any]) -> None:
    try:
        check_extra(extra)
    except PreferenceError as exc:
        field = exc.field
    else:
        field = ""
    if field:
        assert field.startswith("extra")
        return
    text = json.dumps(extra, separators=(",", ":"), ensure_ascii=False)
    assert len(text.encode()) <= MAX_EXTRA_BYTES
    assert "NaN" not in text and "Infinity" not in text

    def keys(value: Any) -> list[str]:
        if isinstance(value, dict):
            return [k for k, v in value.items() for k in [k, *keys(v)]]
        return [k for item in value for k in keys(item)] if isinstance(value, list) else []

    assert not [k for k in keys(extra) if "$" in k or "." in k or not k]  # nothing MongoDB would interpret


@PURE
@given(extras, extras)
def test_an_extra_patch_merges_by_key_or_is_refused_whole(stored: dict[str, Any], patch: dict[str, Any]) -> None:
    try:
        check_extra(stored)
    except PreferenceError:
        return
    current = Preferences(extra=stored)
    try:
        updated = apply_patch(current, {"extra": patch})
    except PreferenceError:
        with pytest.raises(PreferenceError):
            check_extra(merge_extra(stored, patch))
        return
    assert all(updated.extra[k] == v for k, v in patch.items() if v is not None)  # sent: replaced
    assert all(k not in updated.extra for k, v in patch.items() if v is None)  # sent as null: removed
    assert all(updated.extra[k] == v for k, v in stored.items() if k not in patch)  # not sent: kept


# ---------------------------------------------------------------- import files, directly
@PURE
@given(st.binary(max_size=3000))
def test_any_upload_decodes_or_is_refused_cleanly(body: bytes) -> None:
    try:
        text: str | int = decode_upload(body, limit=10_000)
    except AppError as exc:
        text = exc.status_code
    assert isinstance(text, str) or text in (413, 422)


def test_a_gzip_bomb_is_refused_without_inflating_it() -> None:
    bomb = gzip.compress(b"a" * 5_000_000)
    assert len(bomb) < 10_000
    with pytest.raises(AppError) as refused:
        decode_upload(bomb, limit=1_000_000)
    assert refused.value.status_code == 413


# ---------------------------------------------------------------- the same parsers over HTTP
ALLOWED = {200, 201, 202, 400, 404, 409, 413, 415, 422, 429}


@pytest.mark.usefixtures("live")
@OVER_HTTP
@given(st.lists(good_events() | json_values, min_size=0, max_size=20))
def test_any_beacon_batch_gets_one_verdict_per_event_in_order(live: Live, events: list[Any]) -> None:
    response = requests.post(
        f"{live.url}/v1/events", data=batch_body(events), timeout=30, headers={"Content-Type": "text/plain"}
    )
    assert response.status_code in ALLOWED, response.text
    if response.status_code == 202:
        results = response.json()["results"]
        assert [r["index"] for r in results] == list(range(len(events)))


@OVER_HTTP
@given(finite_extras)
def test_any_extra_preference_is_stored_or_refused_whole(live: Live, extra: dict[str, Any]) -> None:
    url = f"{live.url}/v1/me/preferences"
    response = requests.patch(url, json={"extra": extra}, headers=live.customer, timeout=30)
    assert response.status_code in (200, 422), response.text
    if response.status_code == 200:
        kept = response.json()["extra"]
        assert all(kept[k] == v for k, v in extra.items() if v is not None)
        assert all(k not in kept for k, v in extra.items() if v is None)
        requests.patch(url, json={"extra": dict.fromkeys(kept)}, headers=live.customer, timeout=30)  # clean up


cells = st.text(max_size=40) | st.sampled_from(["", "1", "12.5", "Red", "['Merlot']", "2015, 2016", "N.V."])
csv_columns = [*CSV_REQUIRED, "ABV", "Grapes", "Harmonize", "Country", "RegionName", "Vintages", "Elaborate"]


def csv_file(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=csv_columns)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


@OVER_HTTP
@given(st.lists(st.fixed_dictionaries({c: cells for c in csv_columns}), max_size=8) | st.binary(max_size=500))
def test_any_import_file_is_reported_row_by_row_or_refused(live: Live, content: list[dict[str, str]] | bytes) -> None:
    body = content if isinstance(content, bytes) else csv_file(content)
    response = requests.post(
        f"{live.url}/v1/admin/wines/import", data=body, timeout=60, headers={**live.admin, "Content-Type": "text/csv"}
    )
    assert response.status_code in (200, 413, 415, 422), response.text
    if response.status_code == 200 and not isinstance(content, bytes):
        report = response.json()
        assert (
            report["inserted"] + report["updated"] + report["unchanged"] + report["rejected_count"]
            == report["rows"]
            >= len([r for r in content if any(r.values())])
        )
        lines = len(io.StringIO(body.decode(), newline="").readlines())  # as the importer counts them
        assert all(2 <= r["row"] <= lines for r in report["rejected"])
