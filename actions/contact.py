"""Actions about the contact itself: opting out of and back into messages."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.db import Database
from channels import contacts


class _SetOptOut(Action):
    opted_out: bool
    response: str

    def __init__(self, db: Database) -> None:
        self.db = db

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        contact_id = contacts.contact_id_of(tracker.sender_id)
        await asyncio.to_thread(contacts.set_opted_out, self.db, contact_id, self.opted_out)
        dispatcher.utter_message(response=self.response)
        return []


class ActionOptOut(_SetOptOut):
    """STOP / BERHENTI: no proactive messages until the citizen opts back in."""

    opted_out = True
    response = "utter_opted_out"

    def name(self) -> str:
        return "action_opt_out"


class ActionOptIn(_SetOptOut):
    """MULAI / START: proactive messages resume."""

    opted_out = False
    response = "utter_opted_in"

    def name(self) -> str:
        return "action_opt_in"
