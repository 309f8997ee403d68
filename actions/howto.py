"""Answering "how do I…" questions from the live catalog (intent ``ask_howto``)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from catalog import answers, aspects, store
from catalog.live import LiveCatalog
from catalog.retrieval import Retrieval
from channels import contacts
from nlu import framing
from nlu.language import is_english

LAST_SERVICE = "last_service"
FULL = "full"
MORE_KEYWORD = "LENGKAP"  # typed by the citizen; the dialogue worker matches it to this button


class ActionAnswerHowto(Action):
    """Answer, offer a choice, or admit that no service fits (and keep the question for editors)."""

    def __init__(self, catalog: LiveCatalog) -> None:
        self.catalog = catalog

    def name(self) -> str:
        return "action_answer_howto"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        message = tracker.latest_message
        metadata = message.get("metadata") or {}
        channel = str(metadata.get("channel", "api"))
        question = str(metadata.get("original_text") or message.get("text") or "")
        chosen = next(tracker.get_latest_entity_values("service"), None)
        if chosen is None and question.startswith("/"):
            dispatcher.utter_message(response="utter_ask_which_service")
            return []
        if chosen is None and framing.is_bare_opener(question):
            # As its own action, so that the rules read the next message as the question.
            return [FollowupAction("utter_ask_question")]
        aspect = aspects.detect(framing.focus(question))
        language = "en" if is_english(question) else "id"
        if chosen is not None and next(tracker.get_latest_entity_values("detail"), None) == FULL:
            return self._answer_in_full(dispatcher, str(chosen), channel, language)
        if chosen is not None:
            return self._answer(dispatcher, str(chosen), aspect, channel, language)
        outcome: Retrieval = await asyncio.to_thread(self.catalog.retrieve, question)
        previous = tracker.get_slot(LAST_SERVICE)
        if outcome.decision != "answer" and aspect is not None and previous and _is_follow_up(question):
            return self._answer(dispatcher, str(previous), aspect, channel, language)
        own_case = framing.is_own_case(question) and aspect in (None, aspects.Aspect.DURATION)
        if outcome.decision == "answer" and outcome.best is not None and own_case:
            return self._answer_own_case(dispatcher, outcome.best, channel, language)
        if outcome.decision == "answer" and outcome.best is not None:
            return self._answer(dispatcher, outcome.best, aspect, channel, language)
        if outcome.decision == "choose":
            self._offer(dispatcher, outcome.offered)
            return []
        await asyncio.to_thread(self._remember_unanswered, tracker, question, channel, outcome)
        dispatcher.utter_message(response="utter_howto_no_answer")
        return []

    def _answer(
        self,
        dispatcher: CollectingDispatcher,
        service_id: str,
        aspect: aspects.Aspect | None,
        channel: str,
        language: str,
    ) -> list[dict[str, Any]]:
        entry = self.catalog.entry(service_id)
        if entry is None:
            dispatcher.utter_message(response="utter_howto_no_answer")
            return []
        text = answers.answer(entry, aspect, channel, language)
        more = "/ask_howto" + json.dumps({"service": service_id, "detail": FULL})
        buttons = [{"title": MORE_KEYWORD, "payload": more}] if answers.is_cut(text) else []
        dispatcher.utter_message(text=text, buttons=buttons)
        return [SlotSet(LAST_SERVICE, service_id)]

    def _answer_own_case(
        self, dispatcher: CollectingDispatcher, service_id: str, channel: str, language: str
    ) -> list[dict[str, Any]]:
        """A stuck application ("sudah 3 bulan belum jadi"): how long it normally takes and where to
        ask, then the offer to file a complaint or check a ticket."""
        entry = self.catalog.entry(service_id)
        if entry is None:
            dispatcher.utter_message(response="utter_howto_no_answer")
            return []
        for aspect in (aspects.Aspect.DURATION, aspects.Aspect.WHERE):
            dispatcher.utter_message(text=answers.answer(entry, aspect, channel, language))
        dispatcher.utter_message(response="utter_howto_own_case")
        return [SlotSet(LAST_SERVICE, service_id)]

    def _answer_in_full(
        self, dispatcher: CollectingDispatcher, service_id: str, channel: str, language: str
    ) -> list[dict[str, Any]]:
        """ "LENGKAP": every part of the entry, one message per part on SMS."""
        entry = self.catalog.entry(service_id)
        if entry is None:
            dispatcher.utter_message(response="utter_howto_no_answer")
            return []
        for part in answers.full_answer(entry, channel, language):
            dispatcher.utter_message(text=part)
        return [SlotSet(LAST_SERVICE, service_id)]

    def _offer(self, dispatcher: CollectingDispatcher, service_ids: list[str]) -> None:
        buttons = []
        for service_id in service_ids:
            entry = self.catalog.entry(service_id)
            if entry is not None:
                payload = "/ask_howto" + json.dumps({"service": service_id})
                buttons.append({"title": entry.title, "payload": payload})
        dispatcher.utter_message(response="utter_howto_choose", buttons=buttons)

    def _remember_unanswered(self, tracker: Tracker, question: str, channel: str, outcome: Retrieval) -> None:
        try:
            contact_id: int | None = contacts.contact_id_of(tracker.sender_id)
        except contacts.UnknownContact:
            contact_id = None
        guesses = [
            {"service_id": candidate.service_id, "score": round(candidate.score, 3)}
            for candidate in outcome.candidates[:3]
        ]
        store.record_unanswered(self.catalog.db, question, channel, contact_id, guesses)


def _is_follow_up(question: str) -> bool:
    """A short question that names no service of its own ("kalau biayanya?", "syaratnya apa aja")."""
    return len(question.split()) <= 5
