"""Bulk import: X-Wines CSV or our own JSON Lines rows, upserted by id or source_id, with a report.

An import never invents a fact: a row without a price or a stock becomes an unlisted draft that names what
it lacks (`Wine.missing`); dietary flags and tasting notes are only what the row states. The report says,
per row, what was derived, what was left empty and every error."""

from __future__ import annotations

import csv
import io
import json
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, StringConstraints, ValidationError
from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

from app.catalog.demo import CATALOG_FACTS
from app.catalog.schemas import WineFacts
from app.catalog.xwines import RowError, convert_xwines_row
from app.errors import Invalid, PayloadTooLarge, UnsupportedMediaType
from app.schemas import StrictInt
from documents import Wine

MAX_IMPORT_BYTES = 64 * 1024 * 1024  # the whole X-Wines catalog (100k wines) is about 40 MB of CSV
MAX_REJECTIONS_KEPT = 1000  # the report lists this many rejected rows; the count covers them all
BATCH_SIZE = 500
# Shop data and stated facts a row may set explicitly. Plain X-Wines rows carry none of them, so a CSV
# re-import never resets a price, stock, dietary flag or tasting note the shop has set since.
LIVE_FIELDS = frozenset({"price_cents", "currency", "stock", "listed", "dietary", "tasting_notes", "demo_fields"})
STATED_ONLY = frozenset({"dietary", "tasting_notes", "demo_fields"})  # catalog facts written only when stated
MAX_DETAILS_KEPT = 1000  # rows described one by one in the report; the field counts cover them all
_SELLABLE = (("price", "price_cents"), ("stock", "stock"))
CSV_REQUIRED = ("WineID", "WineName", "Type", "WineryName")
_CSV_TYPES = {"text/csv", "application/csv", "text/x-csv", "application/vnd.ms-excel"}
_JSONL_TYPES = {
    "application/x-ndjson",
    "application/ndjson",
    "application/jsonl",
    "application/x-jsonlines",
    "application/jsonlines",
    "application/json-lines",
}


class ImportFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


def detect_format(content_type: str | None, requested: ImportFormat | None) -> ImportFormat:
    """The `format` parameter when given, else the body's content type."""
    if requested is not None:
        return requested
    media = (content_type or "").split(";")[0].strip().lower()
    if media in _CSV_TYPES:
        return ImportFormat.csv
    if media in _JSONL_TYPES:
        return ImportFormat.jsonl
    raise UnsupportedMediaType(
        f"send the file as text/csv (X-Wines columns) or application/x-ndjson (JSON Lines), "
        f"or name it with ?format=csv|jsonl; got {media or 'no content type'!r}"
    )


def decode_upload(body: bytes, limit: int = MAX_IMPORT_BYTES) -> str:
    """The uploaded file as text: UTF-8 (a BOM is dropped), gunzipped first when it is gzip."""
    if body[:2] == b"\x1f\x8b":
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            body = inflater.decompress(body, limit + 1)
        except zlib.error as exc:
            raise Invalid(f"the gzip upload is damaged: {exc}", code="import_unreadable") from None
        if len(body) > limit or inflater.unconsumed_tail:
            raise PayloadTooLarge(f"the file is larger than {limit // 2**20} MiB once unzipped")
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(f"the file is not UTF-8 text (byte {exc.start})", code="import_unreadable") from None


# ---------------------------------------------------------------- parsing
@dataclass(slots=True)
class Row:
    """One parsed row: a wine, or the reason it cannot be one."""

    line: int
    wine: Wine | None = None
    reasons: list[str] = field(default_factory=list)
    live: frozenset[str] = frozenset()  # LIVE_FIELDS this row sets explicitly
    derived: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str | None:
        return "; ".join(self.reasons) or None

    @property
    def missing(self) -> list[str]:
        """What the wine lacks to be sold: an inserted row that lacks anything is an unlisted draft."""
        return [name for name, key in _SELLABLE if key not in self.live]


def _rejected(line: int, *reasons: str) -> Row:
    return Row(line, reasons=list(reasons))


def _explain(exc: ValidationError) -> list[str]:
    return [f"{'.'.join(str(part) for part in e['loc']) or 'row'}: {e['msg']}" for e in exc.errors()]


def csv_rows(text: Iterable[str]) -> Iterator[Row]:
    """Rows of an X-Wines CSV; the header must name at least the columns a wine cannot do without."""
    reader = csv.DictReader(text)
    missing = [c for c in CSV_REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise Invalid(f"the CSV header lacks the X-Wines column(s) {', '.join(missing)}", code="import_bad_header")
    start = reader.line_num + 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield _rejected(start, f"unreadable CSV: {exc}")
            start = reader.line_num + 1
            continue
        line, start = start, reader.line_num + 1
        try:
            converted = convert_xwines_row(record)
        except RowError as exc:
            yield Row(line, reasons=exc.reasons)
            continue
        yield Row(line, converted.wine, live=converted.stated, derived=converted.derived, empty=converted.empty)


WineId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:#-]{0,99}$")]


class WineLine(WineFacts):
    """One JSON Lines row: the shape of the shipped demo catalog (`app/catalog/data/demo_wines.jsonl.gz`);
    money in integer cents, as stored."""

    id: WineId | None = None
    price_cents: Annotated[StrictInt, Field(ge=0, le=10_000_000)] | None = None
    demo_fields: list[str] = Field(default_factory=list)


def jsonl_rows(text: Iterable[str]) -> Iterator[Row]:
    """Rows of a JSON Lines file, one wine object a line; blank lines are skipped."""
    for line, raw in enumerate(text, 1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield _rejected(line, f"not valid JSON: {exc.msg} at column {exc.colno}")
            continue
        if not isinstance(data, dict):
            yield _rejected(line, f"a line must be a JSON object, not {type(data).__name__}")
            continue
        try:
            parsed = WineLine.model_validate(data)
        except ValidationError as exc:
            yield Row(line, reasons=_explain(exc))
            continue
        wine = Wine(**parsed.model_dump(exclude_none=True))
        wine.dietary_sources = {str(flag): f"import line {line}" for flag in wine.dietary}
        stated = parsed.model_fields_set
        empty = [
            f
            for f in ("price_cents", "stock", "tasting_notes", "dietary", "vintage", "abv")
            if f not in stated or getattr(wine, f) in (None, "", [])
        ]
        yield Row(line, wine, live=LIVE_FIELDS & stated, empty=empty)


def parse(text: str, fmt: ImportFormat) -> Iterator[Row]:
    lines = io.StringIO(text, newline="")  # the csv module reads quoted newlines itself
    return csv_rows(lines) if fmt is ImportFormat.csv else jsonl_rows(lines)


# ---------------------------------------------------------------- writing
@dataclass(slots=True)
class RowDetail:
    """What the import did with one row: fields derived (see `xwines.DERIVED`) or left empty, what a draft
    lacks before it can be sold, and every error of a rejected row."""

    line: int
    wine_id: str | None
    outcome: str  # inserted, draft, updated, unchanged, rejected
    derived: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    format: ImportFormat
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected_count: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    drafts: int = 0  # wines inserted unlisted because they lack a price or a stock
    details: list[RowDetail] = field(default_factory=list)
    detail_count: int = 0
    derived_counts: dict[str, int] = field(default_factory=dict)  # field -> rows where it was derived
    empty_counts: dict[str, int] = field(default_factory=dict)  # field -> rows where it was left empty

    def reject(self, line: int, reason: str | list[str]) -> None:
        reasons = [reason] if isinstance(reason, str) else reason
        self.rejected_count += 1
        if len(self.rejected) < MAX_REJECTIONS_KEPT:
            self.rejected.append((line, "; ".join(reasons)))
        self._detail(RowDetail(line, None, "rejected", errors=reasons))

    def describe(self, row: Row, outcome: str, missing: list[str] | None = None) -> None:
        for name in row.derived:
            self.derived_counts[name] = self.derived_counts.get(name, 0) + 1
        for name in row.empty:
            self.empty_counts[name] = self.empty_counts.get(name, 0) + 1
        wine_id = row.wine.id if row.wine else None
        self._detail(RowDetail(row.line, wine_id, outcome, row.derived, row.empty, missing or []))

    def _detail(self, detail: RowDetail) -> None:
        self.detail_count += 1
        if len(self.details) < MAX_DETAILS_KEPT:
            self.details.append(detail)

    def summary(self) -> dict[str, Any]:
        return {
            "format": str(self.format),
            "rows": self.rows,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected_count,
            "drafts": self.drafts,
        }

    def __str__(self) -> str:
        return (
            f"{self.rows} rows: {self.inserted} inserted, {self.updated} updated, {self.unchanged} "
            f"unchanged, {self.rejected_count} rejected; {self.drafts} inserted as unlisted drafts"
        )


_PROJECTION = dict.fromkeys(CATALOG_FACTS | LIVE_FIELDS | {"missing", "dietary_sources", "list_price_cents"}, 1)
_UNSET: dict[str, Any] = {"demo_fields": [], "missing": [], "dietary_sources": {}}  # stored before they existed


@dataclass
class Written:
    inserted: list[Wine] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)


class BatchWriter:
    """Upserts batches of rows: a row updates the wine with its id or its source_id, else inserts it.
    Remembers the wines already written so two rows of one file cannot both claim a wine.

    The ids and source ids of the catalog are read once (one projected scan) so that only rows that match
    a stored wine cost a lookup: the in-process MongoDB scans every document for every `$in`."""

    def __init__(self, report: ImportReport, now: datetime) -> None:
        self.report = report
        self.now = now
        self._claimed: dict[str, int] = {}  # "id:…" / "source:…" -> line that wrote it
        self._ids: set[str] = set()
        self._by_source: dict[str, str] = {}  # source_id -> wine id

    async def load_keys(self) -> None:
        async for doc in Wine.get_pymongo_collection().find({}, {"source_id": 1}):
            self._ids.add(doc["_id"])
            if doc.get("source_id"):
                self._by_source[doc["source_id"]] = doc["_id"]

    async def write(self, rows: list[Row]) -> Written:
        """Write one batch: the wines inserted, and the ids of those changed."""
        targets = []  # (row, its target) in file order, so rejections are reported in file order too
        for row in rows:
            if row.wine is None:
                self.report.reject(row.line, row.reasons or ["rejected"])
            else:
                targets.append((row, self._target(row)))
        matched = [t for _, t in targets if t]
        stored = {}
        if matched:
            cursor = Wine.get_pymongo_collection().find({"_id": {"$in": matched}}, _PROJECTION)
            stored = {doc["_id"]: doc async for doc in cursor}
        inserts: list[tuple[Row, Wine]] = []
        updates: dict[str, dict[str, Any]] = {}  # wine id -> fields to set
        for row, target in targets:
            assert row.wine is not None
            if target is None:
                row.wine.created_at = row.wine.updated_at = self.now
                row.wine.list_price_cents = row.wine.price_cents
                row.wine.missing = row.missing
                if row.missing:
                    row.wine.listed = False  # a draft: not shown, not searchable, not buyable
                inserts.append((row, row.wine))
            elif target:
                changed = self._changes(row.wine, row.live, stored.get(target, {}))
                if changed:
                    updates[target] = changed
                    self.report.describe(row, "updated", changed.get("missing", stored.get(target, {}).get("missing")))
                else:
                    self.report.unchanged += 1
                    self.report.describe(row, "unchanged")
        if updates:
            writes = [UpdateOne({"_id": i}, {"$set": {**s, "updated_at": self.now}}) for i, s in updates.items()]
            await Wine.get_pymongo_collection().bulk_write(writes, ordered=False)
        self.report.updated += len(updates)
        return Written(inserted=await self._insert(inserts), updated=list(updates))

    def _target(self, row: Row) -> str | None:
        """The stored wine this row updates, None to insert it, "" when the row is rejected."""
        wine = row.wine
        assert wine is not None
        same_id = wine.id if wine.id in self._ids else None
        same_source = self._by_source.get(wine.source_id) if wine.source_id else None
        if same_id and same_source and same_id != same_source:
            self.report.reject(
                row.line,
                f"id {wine.id} and source_id {wine.source_id} belong to two different wines ({same_id}, {same_source})",
            )
            return ""
        target = same_id or same_source
        keys = [f"id:{target or wine.id}"] + ([f"source:{wine.source_id}"] if wine.source_id else [])
        earlier = next((self._claimed[k] for k in keys if k in self._claimed), None)
        if earlier is not None:
            self.report.reject(row.line, f"the same wine as line {earlier}")
            return ""
        self._claimed.update(dict.fromkeys(keys, row.line))
        return target

    @staticmethod
    def _changes(wine: Wine, live: frozenset[str], stored: dict[str, Any]) -> dict[str, Any]:
        fields = set((CATALOG_FACTS - STATED_ONLY) | live)
        if not wine.source_id:
            fields.discard("source_id")  # a row without one never erases the stored one
        if "dietary" in live:
            fields.add("dietary_sources")
        values = wine.model_dump(mode="json", include=fields)
        if "price_cents" in values:  # the list price: PricingService works out the effective price from it
            values["list_price_cents"] = values.pop("price_cents")
        # a stated value is no longer demo data, and a draft given its price or stock lacks it no more
        values["demo_fields"] = (
            [f for f in stored.get("demo_fields", []) if f not in live]
            if "demo_fields" not in live
            else values["demo_fields"]
        )
        values["missing"] = [name for name, key in _SELLABLE if name in stored.get("missing", []) and key not in live]
        if values["missing"] and values.get("listed"):
            values["listed"] = False  # a draft is listed by an operator once it lacks nothing
        return {k: v for k, v in values.items() if stored.get(k, _UNSET.get(k)) != v}

    async def _insert(self, inserts: list[tuple[Row, Wine]]) -> list[Wine]:
        if not inserts:
            return []
        failed: set[int] = set()
        try:
            await Wine.insert_many([w for _, w in inserts], ordered=False)
        except BulkWriteError as exc:  # a concurrent writer took the id or source_id meanwhile
            failed = {int(e["index"]) for e in exc.details.get("writeErrors", [])}
        for i, (row, wine) in enumerate(inserts):
            if i in failed:
                self.report.reject(row.line, "another wine took this id or source_id during the import")
            else:
                self.report.describe(row, "draft" if wine.missing else "inserted", wine.missing)
        done = [w for i, (_, w) in enumerate(inserts) if i not in failed]
        self.report.drafts += sum(1 for w in done if w.missing)
        self.report.inserted += len(done)
        self._ids.update(w.id for w in done)
        self._by_source.update({w.source_id: w.id for w in done if w.source_id})
        return done
