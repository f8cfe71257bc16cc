"""Bulk import through the API and the CLI: X-Wines CSV and our JSON Lines, upserts and the report."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.catalog.demo import read_demo_rows
from app.cli import cli
from documents import AuditEntry
from tests.conftest import REDIS_URL, Shopper

Client = AsyncTestClient[Litestar]
XWINES_TEST = Path(__file__).resolve().parents[4] / "shared" / "data" / "xwines" / "XWines_Test_100_wines.csv"
CSV = {"Content-Type": "text/csv"}
JSONL = {"Content-Type": "application/x-ndjson"}

HEADER = (
    "WineID,WineName,Type,Elaborate,Grapes,Harmonize,ABV,Body,Acidity,Code,Country,RegionID,RegionName,"
    "WineryID,WineryName,Website,Vintages\n"
)


def xwines_row(
    wine_id: str, name: str = "Quinta Test Tinto", kind: str = "Red", abv: str = "13.5", winery: str = "Quinta do Teste"
) -> str:
    return (
        f"{wine_id},{name},{kind},Assemblage/Blend,\"['Touriga Nacional', 'Tinta Roriz']\","
        f"\"['Beef', 'Lamb']\",{abv},Full-bodied,Medium,PT,Portugal,1,Douro,1,{winery},,\"[2019, 2018]\"\n"
    )


async def upload(
    client: Client, admin: Shopper, body: str | bytes, headers: dict[str, str], **params: str
) -> dict[str, Any]:
    response = await client.post(
        "/v1/admin/wines/import", content=body, params=params, headers={**admin.headers, **headers}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def search_total(client: Client, **params: str) -> int:
    return int((await client.get("/v1/search", params=params)).json()["total"])


@pytest.fixture
def xwines_csv() -> bytes:
    if not XWINES_TEST.exists():
        pytest.skip("the X-Wines test file is not present")
    return XWINES_TEST.read_bytes()


async def test_the_xwines_test_catalog_imports_and_is_searchable_at_once(
    client: Client, admin: Shopper, xwines_csv: bytes
) -> None:
    report = await upload(client, admin, xwines_csv, CSV)
    assert report["rows"] == 100
    assert report["inserted"] + report["rejected_count"] == 100 and report["inserted"] >= 95
    assert report["drafts"] == report["inserted"]  # X-Wines has no price or stock: all drafts
    assert (await client.get("/v1/wines")).json()["total"] == 0
    assert await search_total(client) == 0
    drafts = (await client.get("/v1/admin/wines/drafts", headers=admin.headers)).json()
    assert drafts["total"] == report["inserted"] and drafts["items"][0]["missing"] == ["price", "stock"]
    again = await upload(client, admin, xwines_csv, CSV)
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, report["inserted"])


async def test_bad_csv_rows_are_reported_by_line_and_the_good_ones_imported(client: Client, admin: Shopper) -> None:
    body = (
        HEADER
        + xwines_row("9001")
        + xwines_row("9002", name="")
        + xwines_row("9003", kind="Orange")
        + xwines_row("9004", abv="high")
        + xwines_row("9001", name="Again")
        + '9005,"Multi\nLine",Red,,[],[],12,,,PT,Portugal,1,Douro,1,Quinta,,[]\n'
        + xwines_row("x9")
    )
    report = await upload(client, admin, body, CSV)
    assert (report["rows"], report["inserted"], report["rejected_count"]) == (7, 2, 5)
    reasons = {r["row"]: r["reason"] for r in report["rejected"]}
    assert set(reasons) == {3, 4, 5, 6, 9}  # the multi-line row spans lines 7-8, so x9 is on line 9
    assert "WineName" in reasons[3] and "Orange" in reasons[4] and "ABV" in reasons[5]
    assert "line 2" in reasons[6] and "WineID" in reasons[9]
    # X-Wines states no price or stock: both wines are unlisted drafts, neither shown nor searchable
    assert report["drafts"] == 2 and await search_total(client, q="quinta") == 0
    assert (await client.get("/v1/wines/xw9001")).status_code == 404


def demo_lines(n: int) -> list[dict[str, Any]]:
    return read_demo_rows()[:n]


async def test_jsonl_rows_upsert_by_id_and_bad_lines_are_reported(client: Client, admin: Shopper) -> None:
    first, second, third = demo_lines(3)
    await upload(client, admin, json.dumps(first) + "\n", JSONL)
    changed = {**first, "price_cents": 1990, "stock": 0}
    lines = [
        json.dumps(changed),
        json.dumps(second),
        "",
        "{not json",
        json.dumps({**third, "colour": "red"}),
        json.dumps({**third, "price_cents": -5}),
        json.dumps({**third, "taste": {**third["taste"], "body": 1.5}}),
        json.dumps([1, 2]),
        json.dumps({**second, "name": "Twice"}),
    ]
    report = await upload(client, admin, "\n".join(lines) + "\n", JSONL)
    assert (report["inserted"], report["updated"], report["unchanged"]) == (1, 1, 0)
    reasons = {r["row"]: r["reason"] for r in report["rejected"]}
    assert sorted(reasons) == [4, 5, 6, 7, 8, 9]
    assert "JSON" in reasons[4] and "colour" in reasons[5] and "price_cents" in reasons[6]
    assert "taste.body" in reasons[7] and "object" in reasons[8] and "line 2" in reasons[9]
    wine = (await client.get(f"/v1/wines/{first['id']}")).json()
    assert wine["price"]["amount"] == "19.90" and wine["stock"] == 0
    assert await search_total(client, q=first["name"], in_stock="true") == await search_total(
        client, q=first["name"], in_stock="true", price_max="19"
    )


async def test_a_csv_reimport_keeps_the_price_and_stock_the_shop_has_set(client: Client, admin: Shopper) -> None:
    await upload(client, admin, HEADER + xwines_row("7001"), CSV)
    patched = await client.patch(
        "/v1/admin/wines/xw7001", json={"price": "99.00", "stock": 1, "listed": True}, headers=admin.headers
    )
    assert patched.status_code == 200
    report = await upload(client, admin, HEADER + xwines_row("7001", name="Quinta Test Tinto Reserva"), CSV)
    assert report["updated"] == 1
    wine = (await client.get("/v1/wines/xw7001")).json()
    assert wine["name"] == "Quinta Test Tinto Reserva" and wine["price"]["amount"] == "99.00" and wine["stock"] == 1
    assert await search_total(client, q="reserva") == 1


async def test_an_import_with_missing_fields_lands_as_drafts_and_flags_nothing(client: Client, admin: Shopper) -> None:
    body = HEADER.replace("Vintages\n", "Vintages,Price,Stock\n")
    body += xwines_row("8001").replace("\n", ",,\n") + xwines_row("8002", abv="9.0").replace("\n", ",12.90,\n")
    body += xwines_row("8003").replace("\n", ",24.50,6\n") + xwines_row("8004", kind="Orange", abv="x").replace(
        "\n", ",free,-2\n"
    )
    report = await upload(client, admin, body, CSV)
    assert (report["inserted"], report["drafts"], report["rejected_count"]) == (3, 2, 1)
    details = {d["row"]: d for d in report["details"]}
    assert details[2]["outcome"] == "draft" and details[2]["missing"] == ["price", "stock"]
    assert details[3]["missing"] == ["stock"] and details[4]["outcome"] == "inserted"
    assert {"dietary", "tasting_notes"} <= set(details[4]["empty"]) and details[4]["derived"] == ["taste", "vintage"]
    assert len(details[5]["errors"]) == 4  # Type, ABV, Price and Stock: every error of the row
    assert report["empty_counts"]["dietary"] == 3 and "taste" in report["derived_meaning"]
    for wine_id in ("xw8001", "xw8002", "xw8003"):
        wine = (await client.get(f"/v1/admin/wines/{wine_id}", headers=admin.headers)).json()
        assert wine["dietary"] == [] and wine["tasting_notes"] == ""  # 9 % ABV or not: no flag made up
    draft = (await client.get("/v1/admin/wines/xw8002", headers=admin.headers)).json()
    assert (draft["price"]["amount"], draft["stock"], draft["listed"], draft["missing"]) == (
        "12.90",
        None,
        False,
        ["stock"],
    )
    assert await search_total(client, q="quinta") == 1  # only the complete wine
    cart = await client.put("/v1/me/cart/items/xw8002", json={"quantity": 1}, headers=admin.headers)
    assert cart.status_code == 404
    refused = await client.patch("/v1/admin/wines/xw8002", json={"listed": True}, headers=admin.headers)
    assert refused.status_code == 409 and refused.json()["code"] == "wine_incomplete"
    done = await client.patch("/v1/admin/wines/xw8002", json={"stock": 4, "listed": True}, headers=admin.headers)
    assert done.status_code == 200 and done.json()["missing"] == [] and done.json()["listed"] is True
    assert await search_total(client, q="quinta") == 2


async def test_the_format_comes_from_the_parameter_or_the_content_type(client: Client, admin: Shopper) -> None:
    line = json.dumps(demo_lines(1)[0]) + "\n"
    refused = await client.post(
        "/v1/admin/wines/import", content=line, headers={**admin.headers, "Content-Type": "text/plain"}
    )
    assert refused.status_code == 415 and "format" in refused.json()["detail"]
    report = await upload(client, admin, line, {"Content-Type": "text/plain"}, format="jsonl")
    assert report["inserted"] == 1 and report["format"] == "jsonl"
    gzipped = await upload(client, admin, gzip.compress(line.encode()), JSONL)
    assert gzipped["unchanged"] == 1


async def test_a_csv_without_the_xwines_columns_is_refused_whole(client: Client, admin: Shopper) -> None:
    response = await client.post("/v1/admin/wines/import", content="id,name\n1,x\n", headers={**admin.headers, **CSV})
    assert response.status_code == 422
    assert "WineID" in response.json()["detail"]
    assert (await client.get("/v1/wines")).json()["total"] == 0


async def test_an_import_is_audited_with_its_counts(client: Client, admin: Shopper) -> None:
    await upload(client, admin, HEADER + xwines_row("7101") + xwines_row("7102", name=""), CSV)
    (entry,) = await AuditEntry.find({"action": "wine.imported"}).to_list()
    assert entry.actor_id == admin.id
    assert (entry.details["inserted"], entry.details["rejected"], entry.details["format"]) == (1, 1, "csv")


def test_the_cli_imports_a_file_with_a_report_and_reindexes(tmp_path: Path) -> None:
    data = tmp_path / "wines.csv"
    data.write_text(HEADER + xwines_row("8001") + xwines_row("8002") + xwines_row("8003", kind="Blue"))
    env = {
        "CUVEE_DATA_DIR": str(tmp_path / "data"),
        "CUVEE_MONGODB_URL": "memory://",
        "CUVEE_REDIS_URL": REDIS_URL,
        "CUVEE_SEED_DEMO": "false",
        "CUVEE_SEARCH_URL": "",
    }
    runner = CliRunner()
    result = runner.invoke(cli, ["import", str(data)], env=env)
    assert result.exit_code == 0, result.output
    assert "3 rows: 2 inserted, 0 updated, 0 unchanged, 1 rejected" in result.output
    assert "line 4: Type 'Blue'" in result.output
    again = runner.invoke(cli, ["import", str(data), "--format", "csv"], env=env)
    assert "0 inserted, 0 updated, 2 unchanged" in again.output
    reindexed = runner.invoke(cli, ["reindex"], env=env)
    assert reindexed.exit_code == 0 and "search index rebuilt: 2 wines" in reindexed.output
    unknown = runner.invoke(cli, ["import", str(data.rename(tmp_path / "wines.txt"))], env=env)
    assert unknown.exit_code != 0 and "--format" in unknown.output
