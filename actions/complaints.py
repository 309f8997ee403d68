"""The complaint conversation: start the form from the first message, validate answers, confirm, file;
status checks, ratings and disputes. Thin: the decisions live in complaints/."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from bot import messages
from bot.db import Database, utcnow
from catalog import answers, aspects
from catalog.live import LiveCatalog
from channels import contacts, inbox
from complaints import intake, queries, workflow
from complaints.calendar import WorkingCalendar, format_date
from complaints.models import Complaint, Privacy, Status
from complaints.suggest import LiveCategories
from nlu import framing

FORM_SLOTS = (
    "complaint_description", "complaint_category", "complaint_location", "complaint_latitude",
    "complaint_longitude", "complaint_region", "complaint_privacy", "complaint_consent", "complaint_name",
    "complaint_confirmed", "complaint_suggestions", "complaint_attachments", "complaint_started_at",
)  # fmt: skip
YES_WORDS = {
    "ya",
    "iya",
    "y",
    "yes",
    "ok",
    "oke",
    "setuju",
    "boleh",
    "benar",
    "betul",
    "kirim",
    "lanjut",
    "sip",
}
NO_WORDS = {"tidak", "tdk", "gak", "ga", "nggak", "enggak", "no", "jangan", "bukan", "tidak setuju"}
PRIVACY_WORDS = {
    "biasa": Privacy.BIASA,
    "rahasia": Privacy.RAHASIA,
    "anonim": Privacy.ANONIM,
    "anonymous": Privacy.ANONIM,
}
MIN_DESCRIPTION_WORDS = 4
SHARED_INTENTS = ("share_media", "share_location")  # a photo or a location with no text
SHOW_ALL = "_semua"
# How sure the catalog must be to answer the question inside a grievance before the form goes on.
ANSWER_INSIDE_CONFIDENCE = 0.8


def _text(tracker: Tracker) -> str:
    metadata = tracker.latest_message.get("metadata") or {}
    return str(metadata.get("original_text") or tracker.latest_message.get("text") or "").strip()


def _intent(tracker: Tracker) -> str:
    return str((tracker.latest_message.get("intent") or {}).get("name") or "")


def _yes_no(tracker: Tracker, value: Any) -> str | None:
    intent, text = _intent(tracker), str(value or "").strip().lower().rstrip(".!")
    if intent == "affirm" or text in YES_WORDS:
        return "yes"
    if intent == "deny" or text in NO_WORDS:
        return "no"
    return None


def _yes_no_slot(slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
    answer = _yes_no(tracker, value)
    if answer is None:
        dispatcher.utter_message(response="utter_not_understood_choice")
    return {slot: answer}


def _shared_location(tracker: Tracker) -> dict[str, Any] | None:
    """Coordinates (and the address, "" when none) a channel put in the message metadata (WhatsApp and
    Telegram location sharing)."""
    location = (tracker.latest_message.get("metadata") or {}).get("location")
    if isinstance(location, dict) and {"latitude", "longitude"} <= set(location):
        address = ", ".join(str(location[key]) for key in ("label", "address") if location.get(key))
        return {
            "latitude": float(location["latitude"]),
            "longitude": float(location["longitude"]),
            "address": address,
        }
    return None


def _media(tracker: Tracker) -> list[dict[str, Any]]:
    media = (tracker.latest_message.get("metadata") or {}).get("media")
    return [item for item in media if isinstance(item, dict)] if isinstance(media, list) else []


class _WithDatabase:
    def __init__(self, db: Database, timezone: str = "Asia/Jakarta") -> None:
        self.db = db
        self.timezone = timezone

    def calendar(self) -> WorkingCalendar:
        with self.db.reading() as session:
            return WorkingCalendar.load(session, self.timezone)

    def category_names(self) -> dict[str, str]:
        with self.db.reading() as session:
            return {category.slug: category.name for category in intake.categories(session)}

    def shared_slots(self, tracker: Tracker) -> dict[str, Any]:
        """The place a shared location gives: its coordinates, its address as the location text, and
        the kecamatan when the address names one."""
        shared = _shared_location(tracker)
        if not shared:
            return {}
        address = shared["address"] or messages.text("complaint_location_shared")
        with self.db.reading() as session:
            region = intake.resolve_region(session, shared["address"]) if shared["address"] else None
        slots = {
            "complaint_location": address[:300],
            "complaint_latitude": shared["latitude"],
            "complaint_longitude": shared["longitude"],
        }
        return slots | ({"complaint_region": region.code} if region else {})


class _Understanding(_WithDatabase):
    """Actions that read a citizen's own words: the category suggester, and the catalog for the
    question a grievance may hold."""

    def __init__(self, db: Database, timezone: str, categories: LiveCategories, catalog: LiveCatalog) -> None:
        super().__init__(db, timezone)
        self.categories = categories
        self.catalog = catalog

    def read(self, text: str) -> dict[str, Any]:
        return read_message(self.db, self.categories, text)


class ActionComplaintStart(_Understanding, Action):
    """Fill the form from the first message: description, suggested categories, place, privacy, name.
    A grievance that asks something gets the answer first; one about a report made elsewhere is
    told what Loket can and cannot see."""

    def name(self) -> str:
        return "action_complaint_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = _text(tracker)
        slots = {} if text.startswith("/") else await asyncio.to_thread(self.read, text)
        if _media(tracker):
            dispatcher.utter_message(text=messages.text("complaint_photo_received"))
        if not text.startswith("/"):
            await asyncio.to_thread(self._answer_inside, dispatcher, tracker, text)
        return self.start_events(tracker, slots)

    def _answer_inside(self, dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> None:
        if intake.mentions_report_elsewhere(text):
            dispatcher.utter_message(text=messages.text("complaint_elsewhere"))
            return
        if not framing.asks_something(text):
            return
        question = framing.focus(text)  # the asking sentences, not the grievance around them
        outcome = self.catalog.retrieve(question)
        entry = self.catalog.entry(outcome.best) if outcome.best else None
        if entry is None or outcome.confidence < ANSWER_INSIDE_CONFIDENCE:
            return
        channel = str((tracker.latest_message.get("metadata") or {}).get("channel", "api"))
        dispatcher.utter_message(text=answers.answer(entry, aspects.detect(question), channel))
        dispatcher.utter_message(text=messages.text("complaint_after_answer"))

    def start_events(self, tracker: Tracker, slots: dict[str, Any]) -> list[dict[str, Any]]:
        """Clear the form, then fill what the first message (``slots``) and its metadata say."""
        started = (tracker.latest_message.get("metadata") or {}).get("inbox_id")
        events = [SlotSet(slot, None) for slot in FORM_SLOTS] + [SlotSet("complaint_started_at", started)]
        slots = slots | self.shared_slots(tracker)
        if _media(tracker):
            slots["complaint_attachments"] = _media(tracker)
        return events + [SlotSet(slot, value) for slot, value in slots.items()]


class ActionInformOutOfContext(ActionComplaintStart):
    """Information nobody asked for: a message that reads like a complaint ("nama saya Budi, jalan di
    depan rumah berlubang ...") starts the complaint form; anything else gets the default answer."""

    def name(self) -> str:
        return "action_inform_out_of_context"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        slots = await asyncio.to_thread(self.read, _text(tracker))
        confident = bool(slots["complaint_suggestions"])
        if "complaint_description" in slots and intake.starts_complaint(intake.INFORM_INTENT, confident):
            return [*self.start_events(tracker, slots), FollowupAction("complaint_form")]
        dispatcher.utter_message(response="utter_default")
        return []


def read_message(db: Database, categories: LiveCategories, text: str) -> dict[str, Any]:
    """The form slots a citizen's own words already answer; the suggested categories are empty when
    none fits well (the citizen then chooses from the whole list)."""
    described = len(text.split()) >= MIN_DESCRIPTION_WORDS  # "mau bikin pengaduan" describes nothing yet
    suggestions = categories.suggest(text).offered if described else []
    with db.reading() as session:
        region = intake.resolve_region(session, text)
    slots: dict[str, Any] = {"complaint_suggestions": suggestions}
    if described:
        slots["complaint_description"] = text
    place = intake.location_phrase(text)
    if place:
        slots["complaint_location"] = place
    if region:
        slots["complaint_region"] = region.code
    wish = intake.privacy_wish(text)
    if wish:
        slots["complaint_privacy"] = wish.value
    name = intake.stated_name(text)
    if name:
        slots["complaint_name"] = name
    return slots


class ValidateComplaintForm(_Understanding, FormValidationAction):
    """Checks each answer; a wrong one is asked again with a hint, never silently accepted."""

    def name(self) -> str:
        return "validate_complaint_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:
        if tracker.get_slot("complaint_consent") == "no":
            return []  # nothing more is asked; the submit action explains and files nothing
        if tracker.get_slot("complaint_privacy") == Privacy.ANONIM:
            return [slot for slot in domain_slots if slot != "complaint_name"]
        return domain_slots

    async def validate_complaint_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        if value is None:  # cleared when the form starts: nothing to check
            return {"complaint_description": None}
        text = str(value or "").strip()
        if text.startswith("/") or len(text.split()) < 2:
            dispatcher.utter_message(text=messages.text("complaint_description_short"))
            return {"complaint_description": None}
        if tracker.get_slot("requested_slot") != "complaint_description":
            return {"complaint_description": text}  # from the first message: already read at the start
        slots = await asyncio.to_thread(self.read, text)
        known = {slot: tracker.get_slot(slot) for slot in slots}
        return {slot: known[slot] or value for slot, value in slots.items()} | {"complaint_description": text}

    async def validate_complaint_category(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        if value is None:  # cleared when the form starts: nothing to check
            return {"complaint_category": None}
        chosen = await asyncio.to_thread(self._category, str(value or ""), tracker)
        if chosen is not None:
            return {"complaint_category": chosen}
        if value != SHOW_ALL:
            dispatcher.utter_message(text=messages.text("complaint_category_unknown"))
        return {"complaint_category": None, "complaint_suggestions": []}  # ask again, with every category

    def _category(self, value: str, tracker: Tracker) -> str | None:
        with self.db.reading() as session:
            categories = intake.categories(session)
        slugs = {category.slug for category in categories}
        if value in slugs:
            return value
        suggested = tracker.get_slot("complaint_suggestions") or []
        if _yes_no(tracker, value) == "yes" and suggested:
            return str(suggested[0])
        by_name = {category.name.lower(): category.slug for category in categories}
        if value.strip().lower() in by_name:
            return by_name[value.strip().lower()]
        found = self.categories.suggest(value).offered
        return found[0] if found else None

    async def validate(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Photos are kept whenever they come; a photo or a location sent on its own answers no question
        (unless the question was where), so the question is asked again."""
        if _intent(tracker) not in SHARED_INTENTS:
            return [*await super().validate(dispatcher, tracker, domain), *self._attachment_events(tracker)]
        requested = tracker.get_slot("requested_slot")
        events = self._attachment_events(tracker)
        if _media(tracker):
            dispatcher.utter_message(text=messages.text("complaint_photo_received"))
        shared = self.shared_slots(tracker) if tracker.get_slot("complaint_latitude") is None else {}
        events += [SlotSet(slot, value) for slot, value in shared.items()]
        if requested and requested not in shared:
            events.append(SlotSet(requested, None))  # it held the "/share_..." placeholder
        return events

    @staticmethod
    def _attachment_events(tracker: Tracker) -> list[dict[str, Any]]:
        kept = list(tracker.get_slot("complaint_attachments") or [])
        new = [media for media in _media(tracker) if media not in kept]
        return [SlotSet("complaint_attachments", kept + new)] if new else []

    async def validate_complaint_location(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        if value is None:  # cleared when the form starts: nothing to check
            return {"complaint_location": None}
        text = str(value or "").strip()
        if len(text) < 3 or text.startswith("/"):
            dispatcher.utter_message(response="utter_ask_complaint_location")
            return {"complaint_location": None}
        with self.db.reading() as session:
            region = intake.resolve_region(session, text)
        return {"complaint_location": text[:300], "complaint_region": region.code if region else None}

    async def validate_complaint_privacy(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        if value is None:  # cleared when the form starts: nothing to check
            return {"complaint_privacy": None}
        text = str(value or "").strip().lower()
        level = PRIVACY_WORDS.get(text) or intake.privacy_wish(text)
        if level is None and "biasa" in text:
            level = Privacy.BIASA
        if level is None:
            dispatcher.utter_message(response="utter_not_understood_choice")
            return {"complaint_privacy": None}
        return {"complaint_privacy": level.value}

    async def validate_complaint_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        if value is None:  # cleared when the form starts: nothing to check
            return {"complaint_consent": None}
        return _yes_no_slot("complaint_consent", value, dispatcher, tracker)

    async def validate_complaint_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        if value is None:  # cleared when the form starts: nothing to check
            return {"complaint_name": None}
        name = " ".join(str(value or "").split())[:120]
        if len(name) < 2 or name.startswith("/"):
            dispatcher.utter_message(response="utter_ask_complaint_name")
            return {"complaint_name": None}
        return {"complaint_name": name}

    async def validate_complaint_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        if value is None:  # cleared when the form starts: nothing to check
            return {"complaint_confirmed": None}
        return _yes_no_slot("complaint_confirmed", value, dispatcher, tracker)


class ActionAskComplaintCategory(_WithDatabase, Action):
    """Suggest the likely categories as buttons; all of them when nothing was suggested."""

    def name(self) -> str:
        return "action_ask_complaint_category"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        categories = self.category_names()
        suggested = [slug for slug in tracker.get_slot("complaint_suggestions") or [] if slug in categories]
        if suggested:
            names = categories[suggested[0]]
            dispatcher.utter_message(
                text=messages.text("complaint_ask_category_suggested").format(category=names),
                buttons=[_category_button(slug, categories[slug]) for slug in suggested[:3]]
                + [
                    {
                        "title": messages.text("complaint_other_category"),
                        "payload": "/inform" + json.dumps({"complaint_category": SHOW_ALL}),
                    }
                ],
            )
            return []
        # A description was given but no category fits it well: say so rather than guess.
        unsure = bool(tracker.get_slot("complaint_description")) and not tracker.get_slot(
            "complaint_category"
        )
        dispatcher.utter_message(
            text=messages.text("complaint_ask_category_unsure" if unsure else "complaint_ask_category"),
            buttons=[_category_button(slug, name) for slug, name in categories.items()],
        )
        return []


def _category_button(slug: str, name: str) -> dict[str, str]:
    return {"title": name, "payload": "/inform" + json.dumps({"complaint_category": slug})}


class ActionAskComplaintConfirmed(_WithDatabase, Action):
    """The summary the citizen confirms before anything is filed."""

    def name(self) -> str:
        return "action_ask_complaint_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        names = self.category_names()
        privacy = str(tracker.get_slot("complaint_privacy") or Privacy.BIASA)
        summary = messages.text("complaint_summary").format(
            description=tracker.get_slot("complaint_description"),
            category=names.get(str(tracker.get_slot("complaint_category")), "-"),
            location=tracker.get_slot("complaint_location") or "-",
            privacy=messages.text(f"privacy_{privacy}"),
            name=tracker.get_slot("complaint_name") if privacy != Privacy.ANONIM else "-",
            photos=len(tracker.get_slot("complaint_attachments") or []),
        )
        dispatcher.utter_message(
            text=summary,
            buttons=[
                {"title": messages.text("complaint_send"), "payload": "/affirm"},
                {"title": messages.text("complaint_cancel"), "payload": "/cancel"},
            ],
        )
        return []


def _reset() -> list[dict[str, Any]]:
    return [SlotSet(slot, None) for slot in FORM_SLOTS] + [SlotSet("requested_slot", None)]


class ActionComplaintSubmit(_WithDatabase, Action):
    """File the confirmed complaint and tell the citizen its number, deadline and how to follow it."""

    def name(self) -> str:
        return "action_complaint_submit"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if tracker.get_slot("complaint_consent") != "yes":
            await asyncio.to_thread(forget_draft, self.db, tracker)
            dispatcher.utter_message(response="utter_complaint_no_consent")
            return _reset()
        if tracker.get_slot("complaint_confirmed") != "yes":
            await asyncio.to_thread(forget_draft, self.db, tracker)
            dispatcher.utter_message(response="utter_complaint_cancelled")
            return _reset()
        metadata = tracker.latest_message.get("metadata") or {}
        draft = workflow.Draft(
            contact_id=contacts.contact_id_of(tracker.sender_id),
            channel=str(metadata.get("channel", "api")),
            description=str(tracker.get_slot("complaint_description")),
            category_slug=tracker.get_slot("complaint_category"),
            privacy=Privacy(tracker.get_slot("complaint_privacy") or Privacy.BIASA),
            citizen_name=tracker.get_slot("complaint_name"),
            location_text=tracker.get_slot("complaint_location"),
            latitude=tracker.get_slot("complaint_latitude"),
            longitude=tracker.get_slot("complaint_longitude"),
            region_code=tracker.get_slot("complaint_region"),
            consented_at=utcnow(),
            attachments=tuple(tracker.get_slot("complaint_attachments") or ()),
        )
        number, due = await asyncio.to_thread(self._file, draft)
        dispatcher.utter_message(text=messages.text("complaint_filed").format(number=number, due=due))
        return _reset()

    def _file(self, draft: workflow.Draft) -> tuple[str, str]:
        calendar = self.calendar()
        with self.db.session() as session:
            complaint = workflow.file_complaint(session, draft, calendar)
            assert complaint.due_at is not None
            return complaint.number, format_date(calendar.local_date(complaint.due_at))


def forget_draft(db: Database, tracker: Tracker) -> None:
    """Nothing of an abandoned complaint stays in Loket's database: the slots are reset by the caller,
    and the texts the citizen typed since the complaint started are blanked in the inbox."""
    started = tracker.get_slot("complaint_started_at")
    with db.session() as session:
        inbox.forget_texts(
            session, contacts.contact_id_of(tracker.sender_id), int(started) if started else None
        )


class ActionComplaintCancel(_WithDatabase, Action):
    """``batal`` at any step: nothing is filed and the half-filled answers are forgotten."""

    def name(self) -> str:
        return "action_complaint_cancel"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        await asyncio.to_thread(forget_draft, self.db, tracker)
        dispatcher.utter_message(response="utter_complaint_cancelled")
        return [ActiveLoop(None), *_reset()]


class ActionCheckStatus(_WithDatabase, Action):
    """A ticket number in the text (details only for its filer), or the sender's own open tickets."""

    def name(self) -> str:
        return "action_check_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        contact_id = contacts.contact_id_of(tracker.sender_id)
        text = " ".join([_text(tracker), *[str(v) for v in tracker.get_latest_entity_values("ticket")]])
        dispatcher.utter_message(text=await asyncio.to_thread(self._answer, text, contact_id))
        return []

    def _answer(self, text: str, contact_id: int) -> str:
        calendar = self.calendar()
        with self.db.reading() as session:
            lookup = queries.lookup_text(session, text, contact_id)
            if lookup is None:
                own = queries.open_for_contact(session, contact_id)
                elsewhere = (
                    [messages.text("status_elsewhere")] if intake.mentions_report_elsewhere(text) else []
                )
                if not own:
                    return "\n\n".join(elsewhere) or messages.text("status_none")
                lines = [_status_line(view, calendar) for view in own]
                return "\n\n".join([*elsewhere, messages.text("status_own_list") + "\n" + "\n".join(lines)])
        if lookup.verdict == "typo":
            return messages.text("status_typo").format(number=lookup.number)
        if lookup.view is None:
            return messages.text("status_not_found").format(number=lookup.number)
        view = lookup.view
        if not view.is_filer:
            return messages.text("status_public").format(
                number=view.number, status=messages.text(f"status_{view.status}"),
                date=format_date(calendar.local_date(view.updated_at)),
            )  # fmt: skip
        return _status_detail(view, calendar)


def _status_line(view: queries.StatusView, calendar: WorkingCalendar) -> str:
    return messages.text("status_line").format(
        number=view.number, status=messages.text(f"status_{view.status}"), category=view.category or "-"
    )


def _status_detail(view: queries.StatusView, calendar: WorkingCalendar) -> str:
    due = format_date(calendar.local_date(view.due_at)) if view.due_at else "-"
    return messages.text("status_detail").format(
        number=view.number,
        status=messages.text(f"status_{view.status}"),
        category=view.category or "-",
        agency=view.agency or messages.text("status_agency_pending"),
        updated=format_date(calendar.local_date(view.updated_at)),
        due=due,
    )


class _OwnTicketAction(_WithDatabase, Action):
    """Acts on a ticket the sender filed: the one named, else their latest resolved one."""

    def _own_ticket(self, session: Any, tracker: Tracker, statuses: tuple[Status, ...]) -> Complaint | None:
        contact_id = contacts.contact_id_of(tracker.sender_id)
        number = next(tracker.get_latest_entity_values("ticket"), None)
        mine = contacts.same_person(session, contact_id)  # WhatsApp and SMS of the same number
        query = select(Complaint).where(Complaint.contact_id.in_(mine), Complaint.status.in_(statuses))
        if number:
            query = query.where(Complaint.number == str(number))
        complaint: Complaint | None = session.scalars(
            query.order_by(Complaint.resolved_at.desc()).limit(1)
        ).first()
        return complaint


class ActionRateComplaint(_OwnTicketAction):
    """A 1-5 answer to "how satisfied are you?" after resolution."""

    def name(self) -> str:
        return "action_rate_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        rating = next(tracker.get_latest_entity_values("rating"), None)
        text, number = await asyncio.to_thread(self._rate, tracker, rating)
        # The dispute stays one tap (or "belum selesai") away after rating.
        buttons = (
            [{"title": messages.text("complaint_not_solved"), "payload": _dispute_payload(number)}]
            if number
            else []
        )
        dispatcher.utter_message(text=text, buttons=buttons)
        return []

    def _rate(self, tracker: Tracker, rating: Any) -> tuple[str, str | None]:
        with self.db.session() as session:
            complaint = self._own_ticket(session, tracker, (Status.SELESAI, Status.DITUTUP))
            if complaint is None:
                return messages.text("rate_no_ticket"), None
            open_for_dispute = complaint.number if complaint.status == Status.SELESAI else None
            try:
                workflow.rate(session, complaint, int(rating))
            except (workflow.InvalidRating, TypeError, ValueError):
                return messages.text("rate_invalid"), open_for_dispute
            except workflow.ChangedMeanwhile as changed:
                return messages.text("complaint_changed_meanwhile").format(number=changed.number), None
            return messages.text("rate_thanks").format(number=complaint.number), open_for_dispute


def _dispute_payload(number: str) -> str:
    return "/dispute" + json.dumps({"ticket": number})


class ActionDisputeComplaint(_OwnTicketAction):
    """ "Belum selesai" within five working days of resolution reopens the ticket."""

    def name(self) -> str:
        return "action_dispute_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=await asyncio.to_thread(self._dispute, tracker, utcnow()))
        return []

    def _dispute(self, tracker: Tracker, now: datetime) -> str:
        calendar = self.calendar()
        with self.db.session() as session:
            complaint = self._own_ticket(session, tracker, (Status.SELESAI,))
            if complaint is None:
                return messages.text("dispute_no_ticket")
            try:
                workflow.reopen(session, complaint, _text(tracker), calendar, now=now)
            except workflow.DisputeWindowClosed:
                return messages.text("dispute_too_late").format(number=complaint.number)
            except workflow.ChangedMeanwhile as changed:  # the deadline job closed it, or an officer acted
                return messages.text("complaint_changed_meanwhile").format(number=changed.number)
            return messages.text("dispute_reopened").format(number=complaint.number)
