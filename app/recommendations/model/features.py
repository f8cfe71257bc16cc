"""A wine's content features for the model: one definition, read by serving and the offline evaluation alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.accounts.vocabulary import canonical_grape, fold

TOKEN_AXES = ("body", "acidity", "tannin", "sweetness")  # fizz is in the style (type=sparkling)


def bucket(value: float) -> str:
    """A taste axis in words, for model features (coarse on purpose: nearby wines share a token)."""
    return "low" if value < 0.35 else "medium" if value < 0.65 else "high"


def wine_tokens(doc: Mapping[str, Any]) -> dict[str, float]:
    """Content features of one wine document (as stored): style, structure, origin, producer, grapes, food."""
    taste = doc.get("taste") or {}
    tokens = {
        f"type={doc.get('style', '')}": 1.0,
        f"country={fold(doc.get('country') or '')}": 1.0,
        f"region={fold(doc.get('region') or '')}": 1.0,
        f"winery={fold(doc.get('winery') or '')}": 1.0,
    }
    for axis in TOKEN_AXES:
        tokens[f"{axis}={bucket(float(taste.get(axis, 0.5)))}"] = 1.0
    for grape in doc.get("grapes") or ():
        tokens[f"grape={fold(canonical_grape(grape))}"] = 1.0
    for food in doc.get("food_pairings") or ():
        tokens[f"food={fold(food)}"] = 0.5
    return tokens
