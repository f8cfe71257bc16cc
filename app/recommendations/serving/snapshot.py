"""One trained state of the recommenders (the state every request reads), built off the event loop and swapped in whole.

A Snapshot is never changed after it is served, except through `UserSignals` updates that the service
makes for a user's own new orders and dismissals (so "already bought" holds at once in this process).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
from scipy import sparse

from app.recommendations.model.diversity import Attributes
from app.recommendations.model.model import HybridRecommender, load_model
from app.recommendations.model.signals import UserSignals
from app.recommendations.serving.popularity import co_purchases, popularity
from app.recommendations.serving.segments import Segments
from app.recommendations.serving.tables import WineTable

log = logging.getLogger("cuvee.recommendations")
MODEL_FILE = "model.npz"
SEGMENTS_FILE = "segments.json"


@dataclass
class Snapshot:
    table: WineTable
    model: HybridRecommender | None
    popularity: np.ndarray  # per table row, 0..1
    trending: dict[int | None, np.ndarray]
    copurchase: sparse.csr_matrix
    segments: Segments
    signals: dict[str, UserSignals]
    signals_ready: bool  # False until the first training read: then history is read live per user
    version: str
    trained_at: datetime | None = None
    counts: dict[str, int] = field(default_factory=dict)
    # interactions recorded since are not in `signals`: serving folds them in per request (None: all are new)
    history_until: datetime | None = None
    model_cols: np.ndarray = field(init=False)  # per table row, the model's column (-1: unknown to it)
    loved_counts: np.ndarray = field(init=False)  # per model column, its 5-star ratings (for explanations)
    loved_typical: float = field(init=False)  # the share of 5-star ratings over all the model's wines
    attributes: Attributes = field(init=False)  # per table row, what the diversity re-ranking compares

    def __post_init__(self) -> None:
        self.attributes = Attributes.of_tokens(self.table.tokens)
        if self.model is None:
            self.model_cols = np.full(len(self.table), -1)
            self.loved_counts, self.loved_typical = np.zeros(0), 0.0
        else:
            index = {key: n for n, key in enumerate(self.model.item_keys)}
            self.model_cols = np.array([index.get(w, -1) for w in self.table.ids], dtype=np.int64)
            self.loved_counts, self.loved_typical = loved_counts(self.model)

    def model_scores(self, history: dict[str, float]) -> np.ndarray | None:
        """The model's score per table row for a history (None without a model); unknown rows get -inf."""
        if self.model is None:
            return None
        scores = self.model.score_user(history)
        out = np.full(len(self.table), -np.inf)
        known = self.model_cols >= 0
        out[known] = scores[self.model_cols[known]]
        return out


def loved_counts(model: HybridRecommender) -> tuple[np.ndarray, float]:
    """Each wine's 5-star count and the global 5-star share, recovered exactly from the model's smoothed
    `loved_share = (loved + prior · share) / (count + prior)` (the model stores only that)."""
    prior, counts = model.params.prior_strength, model.counts
    weighted = model.loved_share * (counts + prior)
    share = float(weighted.sum() / max(counts.sum() + prior * len(counts), 1e-12))
    return np.maximum(np.rint(weighted - prior * share), 0.0), share


def untrained(table: WineTable, model: HybridRecommender | None = None, segments: Segments | None = None) -> Snapshot:
    """Serving before any training: a saved model if there is one, catalog popularity, no history yet; the
    saved segment centres (no members) so the first training keeps the segment ids."""
    counts = loved = None
    if model is not None:
        cols = {key: n for n, key in enumerate(model.item_keys)}
        rows = np.array([cols.get(w, -1) for w in table.ids])
        counts = np.where(rows >= 0, model.counts[rows], 0.0)
        loved = np.where(rows >= 0, model.loved_share[rows], float(np.median(model.loved_share)))
    return Snapshot(
        table=table,
        model=model,
        popularity=popularity(table, counts, loved),
        trending={None: np.zeros(len(table))},
        copurchase=co_purchases(table, []),
        segments=segments.carried() if segments is not None else Segments(members={}),
        signals={},
        signals_ready=False,
        version=model.version if model is not None else content_version(table),
    )


def content_version(table: WineTable) -> str:
    digest = hashlib.sha256("\n".join(table.ids).encode()).hexdigest()[:12]
    return f"content-{digest}"


def save(snapshot: Snapshot, directory: Path) -> Path | None:
    """Keep the fitted model in the data dir, written beside and renamed, so a crash keeps the old one;
    the segment centres beside it (no user ids), so a restart keeps the segment ids."""
    directory.mkdir(parents=True, exist_ok=True)
    if snapshot.segments.centroids:
        segments = {
            "next_id": snapshot.segments.next_id,
            "centroids": {str(k): v.tolist() for k, v in snapshot.segments.centroids.items()},
        }
        (directory / f"tmp-{SEGMENTS_FILE}").write_text(json.dumps(segments))
        (directory / f"tmp-{SEGMENTS_FILE}").replace(directory / SEGMENTS_FILE)
    if snapshot.model is None:
        return None
    path = directory / MODEL_FILE
    tmp = directory / f"tmp-{MODEL_FILE}"
    snapshot.model.save(tmp)
    tmp.replace(path)
    return path


def load(directory: Path) -> HybridRecommender | None:
    path = directory / MODEL_FILE
    if not path.exists():
        return None
    try:
        model = load_model(path)
    except Exception:  # a damaged file must not stop the shop: serve untrained until the next training
        log.exception("cannot read the saved recommender %s; serving without it until retrained", path)
        return None
    return model if isinstance(model, HybridRecommender) else None


def load_segments(directory: Path) -> Segments | None:
    """The last training's segment centres, if saved and readable (else ids start afresh)."""
    path = directory / SEGMENTS_FILE
    if not path.exists():
        return None
    try:
        raw = json.loads(path.read_text())
        centroids = {int(k): np.array(v, dtype=np.float64) for k, v in raw["centroids"].items()}
        return Segments(members={}, centroids=centroids, next_id=int(raw["next_id"]))
    except (ValueError, KeyError, TypeError):
        log.warning("cannot read the saved segments %s; segment ids start afresh", path)
        return None
