"""Who handles a complaint: category + region → agency, by the editable rules in ``routing_rules``.

The rule with the longest region prefix that contains the complaint's region wins (Kota Bandung's
own rule before the province-wide one); no rule means the complaint waits in the verifiers' queue.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from complaints.models import Agency, Category, Region, RoutingRule


def responsible_agency(session: Session, category_id: int | None, region_code: str | None) -> Agency | None:
    """The agency the rules send this category from this region to, or None (verifiers decide)."""
    if category_id is None:
        return None
    rules = session.execute(
        select(RoutingRule.region_prefix, Agency)
        .join(Agency, Agency.id == RoutingRule.agency_id)
        .where(RoutingRule.category_id == category_id)
    ).all()
    matching = [(prefix or "", agency) for prefix, agency in rules if _covers(prefix, region_code)]
    if not matching:
        return None
    return max(matching, key=lambda pair: len(pair[0]))[1]


def _covers(prefix: str | None, region_code: str | None) -> bool:
    if not prefix:
        return True
    if region_code is None:  # somewhere in the province: only province-wide rules apply
        return "." not in prefix
    return region_code == prefix or region_code.startswith(prefix + ".")


class UnknownReference(LookupError):
    """A category, agency or region that does not exist."""


def set_rule(
    session: Session, category_slug: str, region_prefix: str | None, agency_slug: str
) -> RoutingRule:
    """Send ``category`` from ``region_prefix`` (None: the whole province) to ``agency``, replacing any
    rule for the same pair."""
    category = session.scalar(select(Category).where(Category.slug == category_slug))
    agency = session.scalar(select(Agency).where(Agency.slug == agency_slug))
    if category is None or agency is None:
        raise UnknownReference(
            f"unknown {'category ' + category_slug if category is None else 'agency ' + agency_slug}"
        )
    if region_prefix and session.get(Region, region_prefix) is None:
        raise UnknownReference(f"unknown region {region_prefix}")
    rule = session.scalar(
        select(RoutingRule).where(
            RoutingRule.category_id == category.id, RoutingRule.region_prefix == region_prefix
        )
    )
    if rule is None:
        rule = RoutingRule(category_id=category.id, region_prefix=region_prefix, agency_id=agency.id)
        session.add(rule)
    rule.agency_id = agency.id
    session.flush()
    return rule


def rules(session: Session) -> list[tuple[str, str | None, str]]:
    """Every rule as (category slug, region prefix, agency slug)."""
    rows = session.execute(
        select(Category.slug, RoutingRule.region_prefix, Agency.slug)
        .join(Category, Category.id == RoutingRule.category_id)
        .join(Agency, Agency.id == RoutingRule.agency_id)
        .order_by(Category.slug, RoutingRule.region_prefix)
    ).all()
    return [(category, region, agency) for category, region, agency in rows]
