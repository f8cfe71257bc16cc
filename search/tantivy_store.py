"""The tantivy engine's directory: complete index generations, and the CURRENT pointer naming the live one."""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path

import tantivy

from search.tantivy_schema import SCHEMA_VERSION, build_schema, register

log = logging.getLogger(__name__)

POINTER = "CURRENT"  # names the live generation directory; replaced atomically by a rebuild
_GEN = re.compile(r"^gen-(\d+)$")


class Generations:
    """`<root>/CURRENT` -> `gen-000042`; each `gen-*` directory a complete index with a schema marker."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.schema = build_schema()
        root.mkdir(parents=True, exist_ok=True)

    def current(self) -> str:
        """The live generation; a new empty one when there is none or it has another schema version."""
        gen = self.pointed()
        if gen is not None and (self.root / gen / self._marker()).exists():
            return gen
        if gen is not None:
            log.warning("search index %s has another schema version: starting an empty one", self.root / gen)
        gen = self.claim()
        self.open(gen)
        self.point_to(gen)
        return gen

    def pointed(self) -> str | None:
        try:
            return (self.root / POINTER).read_text().strip()
        except FileNotFoundError:
            return None

    def claim(self) -> str:
        """A new generation directory (mkdir is atomic: two rebuilds never share one)."""
        while True:
            numbers = [int(m.group(1)) for p in self.root.iterdir() if (m := _GEN.match(p.name))]
            gen = f"gen-{max(numbers, default=0) + 1:06d}"
            try:
                (self.root / gen).mkdir()
                return gen
            except FileExistsError:
                continue

    def open(self, gen: str) -> tantivy.Index:
        path = self.root / gen
        path.mkdir(parents=True, exist_ok=True)
        (path / self._marker()).touch()
        index = tantivy.Index(self.schema, path=str(path), reuse=True)
        register(index)
        return index

    def point_to(self, gen: str) -> None:
        tmp = self.root / f"{POINTER}.tmp"
        tmp.write_text(gen)
        os.replace(tmp, self.root / POINTER)  # atomic: readers see the old or the new generation

    def exists(self, gen: str) -> bool:
        return (self.root / gen).is_dir()

    def remove(self, gen: str) -> None:
        shutil.rmtree(self.root / gen, ignore_errors=True)  # open readers keep their mmaps until they end

    @staticmethod
    def _marker() -> str:
        return f"cuvee-schema-{SCHEMA_VERSION}"
