"""X-Wines files for offline work: rating rows, and wines as the content features serving derives from them.

A wine row is converted as the catalog imports it (`app.catalog.xwines.xwines_document`), then tokenised by the
serving feature code (`model.features.wine_tokens`): offline scores measure the features production uses.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from app.catalog.xwines import xwines_document
from app.recommendations.model.features import wine_tokens
from app.recommendations.refresh.sources import DEMO_USER_PREFIX


@dataclass(frozen=True)
class Ratings:
    """Rating rows in file order. Vintage 0 means non-vintage (Slim writes 0, Test writes 'N.V.')."""

    users: np.ndarray
    wines: np.ndarray
    ratings: np.ndarray
    vintages: np.ndarray
    dates: np.ndarray | None = None  # the Date column as ISO text (sorts in time order), where the file has one

    def take(self, rows: np.ndarray) -> Ratings:
        dates = self.dates[rows] if self.dates is not None else None
        return Ratings(self.users[rows], self.wines[rows], self.ratings[rows], self.vintages[rows], dates)

    def __len__(self) -> int:
        return len(self.ratings)


@contextmanager
def _open_text(path: str | Path) -> Iterator[IO[str]]:
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        yield handle


def read_ratings(path: str | Path) -> Ratings:
    """X-Wines ratings CSV or CSV.gz (columns UserID, WineID, Vintage, Rating and, if there, Date)."""
    users, wines, ratings, vintages, dates = [], [], [], [], []
    with _open_text(path) as handle:
        for row in csv.DictReader(handle):
            users.append(row["UserID"].strip())
            wines.append(row["WineID"].strip())
            ratings.append(float(row["Rating"]))
            vintage = row.get("Vintage", "").strip()
            vintages.append(int(vintage) if vintage.isdigit() else 0)
            dates.append((row.get("Date") or "").strip())
    return Ratings(
        np.array(users),
        np.array(wines),
        np.array(ratings, dtype=np.float64),
        np.array(vintages),
        np.array(dates) if all(dates) and dates else None,
    )


def read_wines(path: str | Path) -> dict[str, dict[str, float]]:
    """X-Wines wines CSV as the serving content tokens per WineID (a row the catalog would refuse raises)."""
    with _open_text(path) as handle:
        return {row["WineID"].strip(): wine_tokens(xwines_document(row)) for row in csv.DictReader(handle)}


def read_xwines_ratings(path: Path) -> list[tuple[str, str, float]]:
    """An X-Wines ratings CSV(.gz) as (user, wine id in our catalog, stars), for `cuvee train --xwines-ratings`."""
    ratings = read_ratings(path)
    return [
        (f"{DEMO_USER_PREFIX}{u}", f"xw{w}", float(r))
        for u, w, r in zip(ratings.users.tolist(), ratings.wines.tolist(), ratings.ratings.tolist(), strict=True)
    ]
