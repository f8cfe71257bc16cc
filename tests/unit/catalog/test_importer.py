"""The import's parsing and upsert rules: formats, decoding, line numbers, matching by id or source_id."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import pytest

from app.catalog.demo import read_demo_rows
from app.catalog.importer import (
    BatchWriter,
    ImportFormat,
    ImportReport,
    Row,
    decode_upload,
    detect_format,
    parse,
)
from app.errors import Invalid, PayloadTooLarge, UnsupportedMediaType
from documents import Wine
from documents.database import Database
from tests.factories import insert_wines, make_wine

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
HEADER = "WineID,WineName,Type,WineryName,Grapes,ABV\n"


def test_the_format_parameter_wins_over_the_content_type() -> None:
    assert detect_format("text/csv; charset=utf-8", None) is ImportFormat.csv
    assert detect_format("application/x-ndjson", None) is ImportFormat.jsonl
    assert detect_format("text/csv", ImportFormat.jsonl) is ImportFormat.jsonl
    with pytest.raises(UnsupportedMediaType):
        detect_format("application/json", None)
    with pytest.raises(UnsupportedMediaType):
        detect_format(None, None)


def test_uploads_are_utf8_with_an_optional_bom_and_may_be_gzipped() -> None:
    assert decode_upload("\ufeffWineID,Château\n".encode()) == "WineID,Château\n"
    assert decode_upload(gzip.compress(b"abc\n")) == "abc\n"
    with pytest.raises(Invalid, match="UTF-8"):
        decode_upload(b"caf\xe9")
    with pytest.raises(PayloadTooLarge):
        decode_upload(gzip.compress(b"x" * 5000), limit=4096)  # a small zip must not unpack into a huge file
    with pytest.raises(Invalid, match="gzip"):
        decode_upload(b"\x1f\x8b" + b"garbage")


def test_a_csv_must_carry_the_xwines_columns_a_wine_needs() -> None:
    with pytest.raises(Invalid, match="WineName, Type"):
        list(parse("WineID,WineryName\n1,x\n", ImportFormat.csv))


@pytest.mark.usefixtures("db")
def test_csv_rows_are_numbered_by_the_line_they_start_on() -> None:
    text = (
        HEADER
        + '1,"Two\nLines",Red,W,[],12\n'
        + "2,Ok,Red,W,[],12\n"
        + "3,Bad,Purple,W,[],12\n"
        + '4,"Unclosed,Red,W,[],12\n'
    )
    rows = list(parse(text, ImportFormat.csv))
    assert [(r.line, r.wine is not None) for r in rows[:3]] == [(2, True), (4, True), (5, False)]
    assert rows[0].wine is not None and rows[0].wine.name == "Two\nLines" and rows[0].wine.id == "xw1"
    assert "Purple" in (rows[2].reason or "")
    assert rows[3].line == 6 and rows[3].wine is None  # the unclosed quote swallows the rest of the file


@pytest.mark.usefixtures("db")
def test_jsonl_rows_are_validated_like_admin_input_and_nothing_is_made_up_for_what_they_leave_out() -> None:
    demo = read_demo_rows()[0]
    bare = {k: v for k, v in demo.items() if k not in ("tasting_notes", "id", "stock", "listed", "demo_fields")}
    lines = [
        json.dumps(bare),
        json.dumps({**demo, "id": "has space"}),
        json.dumps({**demo, "grapes": ["x" * 61]}),
        json.dumps({**demo, "vintage": 1500}),
    ]
    rows = list(parse("\n".join(lines), ImportFormat.jsonl))
    wine = rows[0].wine
    assert wine is not None and wine.tasting_notes == "" and wine.id != demo["id"]
    assert rows[0].live == {"price_cents", "currency", "dietary"}  # only what the line says; stock is left alone
    assert rows[0].missing == ["stock"] and {"stock", "tasting_notes"} <= set(rows[0].empty)
    assert [r.reason.split(":")[0] for r in rows[1:] if r.reason] == ["id", "grapes.0", "vintage"]


async def test_a_row_updates_the_wine_with_its_source_id_and_keeps_that_wines_id(db: Database) -> None:
    await insert_wines(make_wine(id="a", source_id="s1", name="Old name"), make_wine(id="b", source_id="s2"))
    report = ImportReport(ImportFormat.jsonl)
    writer = BatchWriter(report, NOW)
    await writer.load_keys()
    renamed = make_wine(id="new", source_id="s1", name="New name")
    clash = make_wine(id="a", source_id="s2")
    fresh = make_wine(id="c", source_id="s3")
    written = await writer.write([Row(1, renamed), Row(2, clash), Row(3, fresh), Row(4, reasons=["broken"])])
    assert [w.id for w in written.inserted] == ["c"] and written.updated == ["a"]
    assert (report.inserted, report.updated, report.unchanged, report.rejected_count) == (1, 1, 0, 2)
    assert report.rejected[0][0] == 2 and "two different wines" in report.rejected[0][1]
    assert report.rejected[1] == (4, "broken")  # in file order
    stored = await Wine.get("a")
    assert stored is not None and stored.name == "New name" and stored.updated_at == NOW
    assert await Wine.get("new") is None


async def test_two_rows_of_one_file_cannot_claim_the_same_wine(db: Database) -> None:
    report = ImportReport(ImportFormat.csv)
    writer = BatchWriter(report, NOW)
    await writer.load_keys()
    await writer.write([Row(2, make_wine(id="x", source_id="sx"))])
    await writer.write([Row(3, make_wine(id="y", source_id="sx")), Row(4, make_wine(id="x"))])
    assert report.inserted == 1
    assert report.rejected == [(3, "the same wine as line 2"), (4, "the same wine as line 2")]
