"""DATA SAYA and HAPUS DATA: the citizen sees, and can erase, what Loket holds about them."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.complaints import FORM_SLOTS, _WithDatabase
from bot import messages
from bot.db import utcnow
from channels import contacts
from complaints import privacy, workflow
from complaints.calendar import format_date


class ActionMyData(_WithDatabase, Action):
    """Everything Loket holds about the sender, in one message."""

    def name(self) -> str:
        return "action_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        contact_id = contacts.contact_id_of(tracker.sender_id)
        dispatcher.utter_message(text=await asyncio.to_thread(self._describe, contact_id))
        return []

    def _describe(self, contact_id: int) -> str:
        calendar = self.calendar()
        with self.db.reading() as session:
            held = privacy.held_data(session, contact_id)
        tickets = "\n".join(
            messages.text("my_data_ticket").format(
                number=number, status=messages.text(f"status_{status}"),
                name=messages.text("my_data_name_kept" if named else "my_data_no_name"),
            )
            for number, status, named in held.tickets
        ) or messages.text("my_data_no_tickets")  # fmt: skip
        return messages.text("my_data").format(
            channel=held.channel,
            address=held.address,
            since=format_date(calendar.local_date(held.since)),
            notifications=messages.text("my_data_opted_out" if held.opted_out else "my_data_opted_in"),
            messages=held.messages,
            questions=held.questions,
            tickets=tickets,
        )


class ActionDeleteMyData(_WithDatabase, Action):
    """Erase the sender's personal data after they said yes, and say what was kept and why."""

    def name(self) -> str:
        return "action_delete_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        contact_id = contacts.contact_id_of(tracker.sender_id)
        erasure = await asyncio.to_thread(self._erase, contact_id)
        if erasure is None:
            dispatcher.utter_message(text=messages.text("erased_changed_meanwhile"))
            return []
        text = messages.text("erased")
        if erasure.anonymised_tickets:
            text += "\n" + messages.text("erased_anonymised").format(
                numbers=", ".join(erasure.anonymised_tickets)
            )
        if erasure.kept_tickets:
            text += "\n" + messages.text("erased_kept").format(numbers=", ".join(erasure.kept_tickets))
        dispatcher.utter_message(text=text)
        return [SlotSet(slot, None) for slot in (*FORM_SLOTS, "last_service")]

    def _erase(self, contact_id: int) -> privacy.Erasure | None:
        """The erasure, or None if a ticket changed meanwhile: then nothing is erased (all or nothing)."""
        try:
            with self.db.session() as session:
                return privacy.erase(session, contact_id, utcnow())
        except workflow.ChangedMeanwhile:
            return None
