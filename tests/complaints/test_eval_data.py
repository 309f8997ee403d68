"""The complaint evaluation sets: every category, enough non-complaints, the held-out set kept apart
from the development set and from everything the assistant learns from."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from complaints.evaluation import load_items

ROOT = Path(__file__).parents[2]
DATA = ROOT / "tests" / "data"


def _categories() -> set[str]:
    return {
        item["slug"] for item in yaml.safe_load((ROOT / "complaints/data/seed.yml").read_text())["categories"]
    }


@pytest.mark.parametrize("name", ["complaints_dev.yml", "complaints_heldout.yml", "complaints_heldout2.yml"])
def test_each_set_has_every_category_and_enough_messages_that_are_not_complaints(name: str) -> None:
    items = load_items(DATA / name)
    complaints = [item for item in items if item.categories is not None]
    labels = {slug for item in complaints for slug in item.categories or ()}

    assert len(complaints) >= 300
    assert len(items) - len(complaints) >= 200
    assert labels == _categories()


@pytest.mark.parametrize("name", ["complaints_heldout.yml", "complaints_heldout2.yml"])
def test_a_held_out_set_shares_nothing_with_the_development_set_or_the_training_data(name: str) -> None:
    """Apart from chatter of three words or fewer anybody writes ("hatur nuhun pisan", "mau tanya")."""
    held_out = {
        text for item in load_items(DATA / name) if len((text := item.text.strip().lower()).split()) > 3
    }
    dev = {item.text.strip().lower() for item in load_items(DATA / "complaints_dev.yml")}
    examples = yaml.safe_load((ROOT / "complaints/data/examples.yml").read_text(encoding="utf-8"))
    trained = {text.strip().lower() for texts in examples.values() for text in texts}
    for path in (ROOT / "nlu" / "data").glob("*.yml"):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            lines = block.get("examples", "").splitlines()
            trained |= {line.strip()[2:].strip().lower() for line in lines if line.strip().startswith("- ")}

    assert held_out & dev == set()
    assert held_out & trained == set()
