"""Diversity: MMR re-ranking of a list over wine attributes, and the measures the evaluation reports.

The similarity of two wines is a weighted sum of shared attributes (same winery, same style, shared grapes,
same region), each in 0..1. Maximal marginal relevance (Carbonell and Goldstein, 1998) then picks each next
wine from a pool of the best candidates by `TRADE_OFF · relevance - (1 - TRADE_OFF) · its similarity to the
closest wine already picked`. Relevance is the candidate's rank in the pool scaled to 0..1, so the trade-off
means the same on every surface (whatever its scores) and offline: a wine moves up only a few places.

What the shopper likes only one of is never traded away (`Focus`): a shopper whose stated styles, or else
whose liked wines (≥ 3, all alike), name one style keeps every place the relevance order gave that style.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

SIMILARITY_WEIGHTS = {"winery": 0.35, "style": 0.35, "grape": 0.2, "region": 0.1}
TRADE_OFF = 0.8  # λ: chosen on inner validation splits, never a test part (docs/recommendations.md)
MAX_SHARE = {"winery": 0.3, "style": 0.8}  # of a list's places, unless it is the shopper's focus
POOL = 3  # candidates per place in the list the re-ranking chooses from
POOL_EXTRA_MAX = 100  # ...but never more than this many beyond the list (a list of 100 reads 200 more)
LIKED = 4.0  # a history strength that counts as liking the wine (a cart add, a purchase, 4 stars)
MIN_LIKED = 3  # liked wines, all of one style, before that style counts as the shopper's only one
_ATTRIBUTES = ("style", "winery", "region")
Rows = Sequence[int] | np.ndarray  # table rows (serving) or split items (offline)


@dataclass(frozen=True)
class Attributes:
    """Per wine (row), the attribute codes the similarity compares; -1 is unknown and matches nothing."""

    style: np.ndarray
    winery: np.ndarray
    region: np.ndarray
    grapes: sparse.csr_matrix  # rows x grapes, L2-normalised: a row product is the grapes' cosine
    codes: dict[str, dict[str, int]]  # attribute -> value -> code

    @classmethod
    def of_tokens(cls, tokens: Sequence[dict[str, float]]) -> Attributes:
        """From content tokens (`type=red`, `winery=…`, `region=…`, `grape=…`), as both the shop's
        table and the X-Wines reader write them."""
        prefixes = {"type": "style", "winery": "winery", "region": "region"}
        codes: dict[str, dict[str, int]] = {name: {} for name in _ATTRIBUTES}
        columns = {name: np.full(len(tokens), -1, dtype=np.int64) for name in _ATTRIBUTES}
        grape_codes: dict[str, int] = {}
        rows, cols = [], []
        for row, wine in enumerate(tokens):
            for token in wine:
                prefix, _, value = token.partition("=")
                if not value:
                    continue
                if prefix in prefixes:
                    name = prefixes[prefix]
                    columns[name][row] = codes[name].setdefault(value, len(codes[name]))
                elif prefix == "grape":
                    rows.append(row)
                    cols.append(grape_codes.setdefault(value, len(grape_codes)))
        grapes = sparse.csr_matrix(
            (np.ones(len(rows)), (rows, cols)), shape=(len(tokens), max(len(grape_codes), 1)), dtype=np.float64
        )
        norms = np.sqrt(np.asarray(grapes.multiply(grapes).sum(axis=1)).ravel())
        scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
        grapes = sparse.csr_matrix(sparse.diags(scale) @ grapes)
        return cls(columns["style"], columns["winery"], columns["region"], grapes, codes)

    def similarity(self, rows: Rows, ignore: Iterable[str] = ()) -> np.ndarray:
        """Pairwise similarity (0..1) of `rows`; the attributes in `ignore` count as never shared."""
        rows = np.asarray(rows, dtype=np.int64)
        weights = {name: w for name, w in SIMILARITY_WEIGHTS.items() if name not in set(ignore)}
        out = np.zeros((len(rows), len(rows)))
        for name in _ATTRIBUTES:
            if name in weights:
                values = getattr(self, name)[rows]
                out += weights[name] * ((values[:, None] == values[None, :]) & (values[:, None] >= 0))
        if "grape" in weights:
            picked = self.grapes[rows]
            out += weights["grape"] * (picked @ picked.T).toarray()
        return out

    def focus(self, styles: Iterable[str] = (), wineries: Iterable[str] = (), liked: Rows = ()) -> Focus:
        """What the shopper likes only one of: a single stated style (winery), else the one style (winery)
        of all their liked wines, given at least `MIN_LIKED` of them."""
        return Focus(
            style=self._only("style", styles, liked),
            winery=self._only("winery", wineries, liked),
        )

    def _only(self, name: str, stated: Iterable[str], liked: Rows) -> int | None:
        stated = set(stated)
        if stated:
            code = self.codes[name].get(next(iter(stated))) if len(stated) == 1 else None
            return code
        values = {int(v) for v in getattr(self, name)[np.asarray(liked, dtype=np.int64)]}
        if len(liked) >= MIN_LIKED and len(values) == 1 and min(values) >= 0:
            return values.pop()
        return None


@dataclass(frozen=True)
class Focus:
    """The shopper's only style and only winery (codes of `Attributes`), if they have one."""

    style: int | None = None
    winery: int | None = None

    def holds(self, attributes: Attributes, rows: np.ndarray) -> np.ndarray:
        """Per row, whether the wine is of the focus (always True without one)."""
        keep = np.ones(len(rows), dtype=bool)
        if self.style is not None:
            keep &= attributes.style[rows] == self.style
        if self.winery is not None:
            keep &= attributes.winery[rows] == self.winery
        return keep

    @property
    def ignored(self) -> set[str]:
        return {name for name in ("style", "winery") if getattr(self, name) is not None}


def pool_size(k: int) -> int:
    return k + min((POOL - 1) * k, POOL_EXTRA_MAX)


def diversify(
    attributes: Attributes,
    rows: Rows,
    k: int,
    focus: Focus | None = None,
    trade_off: float = TRADE_OFF,
    max_share: dict[str, float] | None = None,
) -> list[int]:
    """Positions in `rows` (candidates best first) of the k to show, in order, by MMR.

    The best candidate always stays first. No winery (style) takes more than `max_share` of the places
    while the pool has others. With a focus, each place keeps the kind (of the focus or not) the
    relevance order gave it, and the focus is never capped: the shopper's only style stays."""
    rows = np.asarray(rows, dtype=np.int64)
    n = len(rows)
    k = min(k, n)
    if k <= 1 or trade_off >= 1.0:
        return list(range(k))
    focus = focus or Focus()
    relevance = 1.0 - np.arange(n) / (n - 1)
    similarity = attributes.similarity(rows, ignore=focus.ignored)
    kinds = focus.holds(attributes, rows)
    caps = {
        name: (getattr(attributes, name)[rows], max(1, math.ceil(share * k)))
        for name, share in (MAX_SHARE if max_share is None else max_share).items()
        if name not in focus.ignored
    }
    closest = np.full(n, -np.inf)  # to the nearest picked wine; -inf before the first pick
    free = np.ones(n, dtype=bool)
    picked: list[int] = []
    for place in range(k):
        value = trade_off * relevance - (1 - trade_off) * np.maximum(closest, 0.0)
        value[~free | (kinds != kinds[place])] = -np.inf
        capped = value.copy()
        for values, cap in caps.values():
            full = [v for v in set(values[picked].tolist()) if v >= 0 and (values[picked] == v).sum() >= cap]
            capped[np.isin(values, full)] = -np.inf
        best = int(np.argmax(capped if np.isfinite(capped).any() else value))
        picked.append(best)
        free[best] = False
        closest = np.maximum(closest, similarity[best])
    return picked


def intra_list_diversity(attributes: Attributes, rows: Rows) -> float:
    """Mean pairwise dissimilarity (1 - similarity, every attribute) of one list; 0 for fewer than 2."""
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows) < 2:
        return 0.0
    similarity = attributes.similarity(rows)
    upper = np.triu_indices(len(rows), k=1)
    return float(1.0 - similarity[upper].mean())


def one_style(attributes: Attributes, rows: Rows) -> bool:
    """Whether a list of two or more wines is all of one style."""
    styles = attributes.style[np.asarray(rows, dtype=np.int64)]
    return len(styles) >= 2 and bool((styles == styles[0]).all())
