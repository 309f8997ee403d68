"""Rasa custom actions, served by the app at /actions/webhook; thin calls into the domain packages."""

from __future__ import annotations

from rasa_sdk import Action

from bot.db import Database
from catalog.live import LiveCatalog


def build(db: Database, catalog: LiveCatalog) -> list[Action]:
    """Every custom action, wired to the app's database and live catalog."""
    from actions.contact import ActionOptIn, ActionOptOut
    from actions.howto import ActionAnswerHowto

    return [ActionOptOut(db), ActionOptIn(db), ActionAnswerHowto(catalog)]
