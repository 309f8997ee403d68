"""The committed evaluation sets: big enough, covering the catalog, and the held-out split kept apart."""

from __future__ import annotations

from pathlib import Path

from catalog.evaluation import load_items
from catalog.live import CONTENT_DIR
from catalog.schema import load_directory

DATA = Path(__file__).parents[1] / "data"


def test_dev_and_held_out_sets_cover_every_service_and_enough_questions_no_service_fits() -> None:
    services = {entry.id for entry in load_directory(CONTENT_DIR)}
    for name in ("retrieval_dev.yml", "retrieval_heldout.yml"):
        items = load_items(DATA / name)
        expected = {service for item in items for service in item.expected or ()}

        assert len(items) >= 200, name
        assert sum(1 for item in items if not item.expected) >= 30, name
        assert expected == services, name


def test_the_held_out_set_shares_no_question_with_the_development_set() -> None:
    dev = {item.text.lower() for item in load_items(DATA / "retrieval_dev.yml")}
    held_out = {item.text.lower() for item in load_items(DATA / "retrieval_heldout.yml")}

    assert dev & held_out == set()
