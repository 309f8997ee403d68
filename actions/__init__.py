"""Rasa custom actions, served by the app at /actions/webhook; thin calls into the domain packages."""

from __future__ import annotations

from rasa_sdk import Action

from bot.db import Database


def build(db: Database) -> list[Action]:
    """Every custom action, wired to the app's database."""
    from actions.contact import ActionOptIn, ActionOptOut

    return [ActionOptOut(db), ActionOptIn(db)]
