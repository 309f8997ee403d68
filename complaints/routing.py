"""Who handles a complaint: category + region → agency, by the editable rules in ``routing_rules``.

The rule with the longest region prefix that contains the complaint's region wins (Kota Bandung's
own rule before the province-wide one); no rule means the complaint waits in the verifiers' queue.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from complaints.models import Agency, RoutingRule


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
