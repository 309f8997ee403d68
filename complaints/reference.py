"""Reference data: the province's regions (Kemendagri codes) and the seeded categories, agencies and
routing rules. Imported once into an empty database; administrators edit them there afterwards."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db import Database
from complaints.models import Agency, Category, Region, RoutingRule

DATA_DIR = Path(__file__).with_name("data")
REGIONS_FILE = DATA_DIR / "regions_32_jawa_barat.csv"  # source: data/SOURCES.md
SEED_FILE = DATA_DIR / "seed.yml"
DEFAULT_DEADLINES = {"verify": 3, "response": 5, "resolve": 14}


@dataclass(frozen=True)
class SeedReport:
    regions: int
    categories: int
    agencies: int
    rules: int


def ensure_seeded(db: Database, regions: Path = REGIONS_FILE, seed: Path = SEED_FILE) -> SeedReport | None:
    """Load the reference data into a database that has none yet; None when it already had some."""
    with db.session() as session:
        if session.scalar(select(func.count()).select_from(Category)):
            return None
        return SeedReport(
            regions=_load_regions(session, regions), **_load_seed(session, yaml.safe_load(seed.read_text()))
        )


def _load_regions(session: Session, path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    known = set(session.scalars(select(Region.code)))
    session.add_all(
        Region(code=row["code"], level=row["level"], name=row["name"], parent_code=row["parent_code"] or None)
        for row in rows
        if row["code"] not in known
    )
    session.flush()
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
