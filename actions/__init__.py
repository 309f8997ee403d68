"""Rasa custom actions, served by the app at /actions/webhook; thin calls into the domain packages."""

from __future__ import annotations

from rasa_sdk import Action

from bot.db import Database
from bot.settings import Settings
from catalog.live import LiveCatalog


def build(db: Database, catalog: LiveCatalog, settings: Settings) -> list[Action]:
    """Every custom action, wired to the app's database, live catalog and settings."""
    from actions import complaints, privacy
    from actions.contact import ActionOptIn, ActionOptOut
    from actions.howto import ActionAnswerHowto

    zone = settings.timezone
    return [
        ActionOptOut(db),
        ActionOptIn(db),
        ActionAnswerHowto(catalog),
        complaints.ActionComplaintStart(db, zone),
        complaints.ActionInformOutOfContext(db, zone),
        complaints.ValidateComplaintForm(db, zone),
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
