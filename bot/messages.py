"""The app's own user-facing text, read from ``messages.yml`` (Rasa responses hold the rest)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

CATALOG = Path(__file__).with_name("messages.yml")


@lru_cache
def _catalog() -> dict[str, dict[str, str]]:
    with CATALOG.open(encoding="utf-8") as handle:
        loaded: dict[str, dict[str, str]] = yaml.safe_load(handle)
    return loaded


def text(key: str, language: str = "id") -> str:
    """The message ``key`` in ``language``, falling back to Indonesian."""
    entry = _catalog()[key]
    return entry.get(language) or entry["id"]
