"""Build the shipped demo catalog (app/catalog/data/demo_wines.jsonl.gz) from the X-Wines Slim wines CSV.

    python scripts/build_demo_catalog.py [path/to/XWines_Slim_1K_wines.csv] [--ratings R.csv.gz] [--out FILE]

Prices, stock and tasting notes are generated demo data (plausible for style, region, label and the X-Wines
ratings), named in each wine's `demo_fields`; dietary flags are never generated.

X-Wines is CC0. The output is byte-for-byte reproducible: same CSV and code, same file.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gzip
import json
import sys
from pathlib import Path

from tqdm import tqdm

from app.catalog.demo import DATA_FILE, demo_wine_from_xwines, dump_wine, xwines_rating_means
from app.catalog.xwines import RowError
from documents.database import connect

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CSV = REPO.parent / "shared" / "data" / "xwines" / "XWines_Slim_1K_wines.csv"
DEFAULT_RATINGS = DEFAULT_CSV.with_name("XWines_Slim_dev_ratings.csv.gz")
DEFAULT_OUT = REPO / "app" / "catalog" / "data" / DATA_FILE


def convert(csv_path: Path, ratings: dict[str, float]) -> tuple[list[str], list[str]]:
    """JSON lines for the convertible rows, and a message per row that was not (by CSV line number)."""
    lines: list[str] = []
    errors: list[str] = []
    with csv_path.open(encoding="utf-8", newline="") as src:
        rows = list(csv.DictReader(src))
    for line_no, row in enumerate(tqdm(rows, desc="converting", unit="wine"), start=2):
        try:
            wine = demo_wine_from_xwines(row, ratings)
        except RowError as exc:
            errors.append(f"line {line_no}: {exc.reason}")
            continue
        lines.append(json.dumps(dump_wine(wine), ensure_ascii=False, separators=(",", ":")))
    return lines, errors


def write(lines: list[str], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write(("\n".join(lines) + "\n").encode("utf-8"))


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", nargs="?", type=Path, default=DEFAULT_CSV, help="X-Wines wines CSV")
    parser.add_argument("--ratings", type=Path, default=DEFAULT_RATINGS, help="X-Wines ratings CSV (.gz)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON Lines (gzip) to write")
    args = parser.parse_args(argv)
    database = await connect("memory://", name="build_demo_catalog")  # Beanie documents need a binding
    try:
        lines, errors = convert(args.csv, xwines_rating_means(args.ratings))
    finally:
        await database.close()
    for error in errors:
        print(error, file=sys.stderr)
    write(lines, args.out)
    size = args.out.stat().st_size
    print(f"{len(lines)} wines written to {args.out} ({size:,} bytes), {len(errors)} rows skipped")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
