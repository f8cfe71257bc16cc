"""Preference updates: merging a partial patch into stored preferences; bounds of the free-form `extra`."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from pydantic import ValidationError

from documents import Preferences

MAX_EXTRA_KEYS = 20  # per object, at any level
MAX_EXTRA_KEY_LENGTH = 40
MAX_EXTRA_DEPTH = 3  # {"a": 1} is depth 1, {"a": {"b": 1}} depth 2
MAX_EXTRA_LIST = 50
MAX_EXTRA_BYTES = 4096  # the whole map as compact JSON
# No "$" or ".": MongoDB gives them meaning inside field names.
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


class PreferenceError(ValueError):
    """A patch that would leave preferences invalid; `field` names the offending part."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _check_value(value: Any, path: str, depth: int) -> None:
    if depth > MAX_EXTRA_DEPTH:
        raise PreferenceError(f"nests deeper than {MAX_EXTRA_DEPTH} levels", path)
    if isinstance(value, dict):
        if len(value) > MAX_EXTRA_KEYS:
            raise PreferenceError(f"has more than {MAX_EXTRA_KEYS} keys", path)
        for key, item in value.items():
            if not isinstance(key, str) or len(key) > MAX_EXTRA_KEY_LENGTH or not _KEY.match(key):
                shown = str(key)[:50]
                raise PreferenceError(
                    f"key {shown!r} must be 1..{MAX_EXTRA_KEY_LENGTH} letters, digits, '_' or '-'", path
                )
            _check_value(item, f"{path}.{key}", depth + 1)
    elif isinstance(value, list):
        if len(value) > MAX_EXTRA_LIST:
            raise PreferenceError(f"lists at most {MAX_EXTRA_LIST} items", path)
        for item in value:
            _check_value(item, path, depth + 1)
    elif isinstance(value, float) and not math.isfinite(value):
        raise PreferenceError("numbers must be finite", path)
    elif isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
        raise PreferenceError("integers must fit in 64 bits (what MongoDB stores)", path)
    elif value is not None and not isinstance(value, str | int | float | bool):
        raise PreferenceError("values must be JSON: objects, lists, strings, numbers, booleans or null", path)


def check_extra(extra: dict[str, Any]) -> None:
    """Raise PreferenceError when `extra` passes a bound: keys, key shape, depth, list length, total size."""
    _check_value(extra, "extra", 0)
    size = len(json.dumps(extra, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_EXTRA_BYTES:
        raise PreferenceError(f"is {size} bytes as JSON; at most {MAX_EXTRA_BYTES} are kept", "extra")


def merge_extra(current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Top-level merge: keys sent replace their value, a key sent as null is removed (RFC 7396, one level)."""
    merged = dict(current)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def apply_patch(current: Preferences, patch: dict[str, Any]) -> Preferences:
    """The preferences after `patch` (storage field names; only the fields present change).

    `price_range` and `dislikes` merge field by field; lists are replaced whole; `extra` merges by key.
    """
    data = current.model_dump(mode="json")
    for name, value in patch.items():
        if name in ("price_range", "dislikes"):
            data[name] = {**data[name], **value}
        elif name == "extra":
            data["extra"] = merge_extra(data["extra"], value)
        else:
            data[name] = value
    check_extra(data["extra"])
    try:
        return Preferences.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "preferences"
        raise PreferenceError(first["msg"].removeprefix("Value error, "), field) from exc
