"""Rasa custom actions, served by the app at /actions/webhook; thin calls into the domain packages."""

from __future__ import annotations

from rasa_sdk import Action

from bot.db import Database
from bot.settings import Settings
from catalog.live import LiveCatalog
from complaints.suggest import LiveCategories


def build(db: Database, catalog: LiveCatalog, categories: LiveCategories, settings: Settings) -> list[Action]:
    """Every custom action, wired to the app's database, live catalog, category suggester and settings."""
    from actions import complaints, privacy
    from actions.contact import ActionOptIn, ActionOptOut
    from actions.howto import ActionAnswerHowto

    zone = settings.timezone
    understanding = (db, zone, categories, catalog)
    return [
        ActionOptOut(db),
        ActionOptIn(db),
        ActionAnswerHowto(catalog),
        complaints.ActionComplaintStart(*understanding),
        complaints.ActionInformOutOfContext(*understanding),
        complaints.ValidateComplaintForm(*understanding),
        complaints.ActionAskComplaintCategory(db, zone),
        complaints.ActionAskComplaintConfirmed(db, zone),
        complaints.ActionComplaintSubmit(db, zone),
        complaints.ActionComplaintCancel(db, zone),
        complaints.ActionCheckStatus(db, zone),
        complaints.ActionRateComplaint(db, zone),
        complaints.ActionDisputeComplaint(db, zone),
        privacy.ActionMyData(db, zone),
        privacy.ActionDeleteMyData(db, zone),
    ]
