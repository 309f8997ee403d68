"""Reference data: the province's regions (Kemendagri codes) and the seeded categories, agencies and
routing rules. Imported once into an empty database; administrators edit them there afterwards."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from bot.db import Database
from complaints.models import Agency, Category, CategoryExample, ExampleStatus, Region, RoutingRule

DATA_DIR = Path(__file__).with_name("data")
REGIONS_FILE = DATA_DIR / "regions_32_jawa_barat.csv"  # source: data/SOURCES.md
SEED_FILE = DATA_DIR / "seed.yml"
EXAMPLES_FILE = DATA_DIR / "examples.yml"
DEFAULT_DEADLINES = {"verify": 3, "response": 5, "resolve": 14}


@dataclass(frozen=True)
class SeedReport:
    regions: int
    categories: int
    agencies: int
    rules: int


def ensure_seeded(
    db: Database, regions: Path = REGIONS_FILE, seed: Path = SEED_FILE, examples: Path = EXAMPLES_FILE
) -> SeedReport | None:
    """Load the reference data into a database that has none yet (None when it already had some),
    and the shipped example complaints that the database does not hold yet."""
    with db.session() as session:
        report = None
        if not session.scalar(select(func.count()).select_from(Category)):
            report = SeedReport(
                regions=_load_regions(session, regions),
                **_load_seed(session, _read_yaml(seed)),
            )
        add_examples(session, _read_yaml(examples) if examples.exists() else {})
        return report


def _read_yaml(path: Path) -> Any:
    # libyaml's parser when PyYAML has it: the pure-Python one took a second over the examples
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)


def add_examples(session: Session, examples: dict[str, list[str]]) -> int:
    """Store ``{category slug: [example complaint, ...]}`` as accepted examples, skipping the ones the
    database already holds (in any state: a rejected example stays rejected) and unknown categories."""
    ids = {slug: id_ for slug, id_ in session.execute(select(Category.slug, Category.id))}
    known = {
        (id_, text)
        for id_, text in session.execute(select(CategoryExample.category_id, CategoryExample.text))
    }
    new = [
        CategoryExample(category_id=ids[slug], text=text, status=ExampleStatus.ACCEPTED, source="seed")
        for slug, texts in (examples or {}).items()
        if slug in ids
        for text in dict.fromkeys(str(text).strip() for text in texts or ())
        if text and (ids[slug], text) not in known
    ]
    session.add_all(new)
    return len(new)


def _load_regions(session: Session, path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    known = set(session.scalars(select(Region.code)))
    new = [
        {
            "code": row["code"],
            "level": row["level"],
            "name": row["name"],
            "parent_code": row["parent_code"] or None,
        }
        for row in rows
        if row["code"] not in known
    ]
    if new:  # thousands of desa: one bulk insert, parents first (the file is sorted by code)
        session.execute(insert(Region), new)
    return len(rows)


def _load_seed(session: Session, seed: dict[str, Any]) -> dict[str, int]:
    categories = {
        item["slug"]: Category(
            slug=item["slug"],
            name=item["name"],
            name_en=item["name_en"],
            description=item.get("description", ""),
            keywords=list(item.get("keywords", [])),
            **{
                f"{stage}_days": days
                for stage, days in (DEFAULT_DEADLINES | item.get("deadlines", {})).items()
            },
        )
        for item in seed["categories"]
    }
    agencies = {
        item["slug"]: Agency(slug=item["slug"], name=item["name"], region_code=item.get("region"))
        for item in seed["agencies"]
    }
    session.add_all([*categories.values(), *agencies.values()])
    session.flush()
    rules = [
        RoutingRule(
            category_id=categories[rule["category"]].id,
            region_prefix=rule.get("region"),
            agency_id=agencies[rule["agency"]].id,
        )
        for rule in seed["routing"]
    ]
    session.add_all(rules)
    return {"categories": len(categories), "agencies": len(agencies), "rules": len(rules)}
