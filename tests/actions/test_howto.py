"""action_answer_howto with a hand-built tracker, against the shipped catalog."""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.howto import ActionAnswerHowto
from catalog.live import LiveCatalog
from catalog.models import UnansweredQuestion
from channels import contacts


def tracker(
    text: str,
    slots: dict[str, Any] | None = None,
    entities: list[dict[str, Any]] | None = None,
    sender: str = "c1",
    channel: str = "api",
) -> Tracker:
    message = {
        "text": text,
        "intent": {"name": "ask_howto", "confidence": 0.9},
        "entities": entities or [],
        "metadata": {"channel": channel},
    }
    return Tracker(sender, slots or {}, message, [], False, None, {}, "action_listen")


async def run(
    catalog: LiveCatalog, text: str, **kwargs: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerHowto(catalog).run(dispatcher, tracker(text, **kwargs), {})
    return dispatcher.messages, events


async def test_a_question_is_answered_and_its_service_remembered(live_catalog: LiveCatalog) -> None:
    messages, events = await run(live_catalog, "syarat bikin skck apa aja")

    assert messages[0]["text"].startswith("*Surat Keterangan Catatan Kepolisian")
    assert "Syarat:" in messages[0]["text"]
    assert events == [{"event": "slot", "timestamp": None, "name": "last_service", "value": "skck"}]


async def test_a_follow_up_uses_the_previous_service(live_catalog: LiveCatalog) -> None:
    entry = live_catalog.entry("ktp-el-baru")
    assert entry is not None

    messages, events = await run(live_catalog, "kalau biayanya?", slots={"last_service": "ktp-el-baru"})

    assert messages[0]["text"].startswith(f"*{entry.title}*\nBiaya: {entry.fee.amount}")
    assert events[0]["value"] == "ktp-el-baru"


async def test_a_chosen_button_answers_that_service(live_catalog: LiveCatalog) -> None:
    entities = [{"entity": "service", "value": "paspor-perpanjang"}]
    messages, _ = await run(live_catalog, '/ask_howto{"service": "paspor-perpanjang"}', entities=entities)

    assert "Paspor" in messages[0]["text"]


async def test_an_ambiguous_question_offers_buttons_that_name_the_service(live_catalog: LiveCatalog) -> None:
    messages, events = await run(live_catalog, "piye carane gawe paspor")

    assert messages[0]["response"] == "utter_howto_choose"
    payloads = [button["payload"] for button in messages[0]["buttons"]]
    assert payloads[0] == "/ask_howto" + json.dumps({"service": "paspor-baru"})
    assert events == []


async def test_an_abstention_is_stored_as_unanswered_and_offers_a_way_on(live_catalog: LiveCatalog) -> None:
    citizen = contacts.contact_for(live_catalog.db, "api", "peternak")
    messages, _ = await run(live_catalog, "cara ternak lele di kolam terpal", sender=citizen.conversation_id)

    assert messages[0]["response"] == "utter_howto_no_answer"
    with live_catalog.db.reading() as session:
        saved = session.scalars(
            select(UnansweredQuestion).where(UnansweredQuestion.text.like("%lele%"))
        ).one()
    assert saved.channel == "api" and saved.contact_id == citizen.id and len(saved.best_guesses) == 3


async def test_the_menu_button_without_a_question_asks_which_service(live_catalog: LiveCatalog) -> None:
    messages, _ = await run(live_catalog, "/ask_howto")

    assert messages[0]["response"] == "utter_ask_which_service"


async def test_on_sms_a_cut_answer_offers_lengkap_and_lengkap_sends_every_part(
    live_catalog: LiveCatalog,
) -> None:
    from channels.gsm7 import is_gsm7, segments

    short, _ = await run(live_catalog, "syarat bikin skck apa aja", channel="sms_gateway")
    assert short[0]["text"].endswith("Balas LENGKAP utk info lengkap")
    more = short[0]["buttons"][0]
    assert more["title"] == "LENGKAP"

    entities = [{"entity": "service", "value": "skck"}, {"entity": "detail", "value": "full"}]
    parts, events = await run(live_catalog, more["payload"], entities=entities, channel="sms_gateway")

    assert len(parts) >= 4  # requirements, steps, fee, duration, where, link
    assert all(is_gsm7(part["text"]) and segments(part["text"]) <= 3 for part in parts)
    assert "polri.go.id" in parts[-1]["text"] or "http" in parts[-1]["text"]
    assert events[0]["value"] == "skck"


async def test_a_bare_opener_is_asked_for_the_question_and_no_service_is_guessed(
    live_catalog: LiveCatalog,
) -> None:
    for opener in ("mau tanya min", "selamat siang, boleh tanya?", "punten, bade naros"):
        messages, events = await run(live_catalog, opener)

        assert messages == []
        assert events == [{"event": "followup", "timestamp": None, "name": "utter_ask_question"}]


async def test_a_long_question_with_a_story_is_answered_by_what_it_asks(live_catalog: LiveCatalog) -> None:
    question = (
        "Assalamualaikum, selamat siang bapak/ibu. Saya mau tanya, kemarin waktu banjir di Dayeuhkolot "
        "rumah kami kemasukan air dan banyak barang rusak, termasuk lemari dokumen. Akta kelahiran anak "
        "saya yang kedua ikut basah dan sobek. Bagaimana cara mengganti akta kelahiran yang rusak? "
        "Terima kasih."
    )

    _, events = await run(live_catalog, question)

    assert events[0]["value"] == "akta-kelahiran-hilang"


async def test_a_stuck_own_application_gets_the_normal_duration_where_to_ask_and_the_offer_to_file(
    live_catalog: LiveCatalog,
) -> None:
    question = "sudah 3 minggu bikin skck tapi belum jadi juga, biasanya berapa lama bikin skck?"

    messages, events = await run(live_catalog, question)

    assert events[0]["value"] == "skck"
    assert "Lama proses" in messages[0]["text"] and "Tempat layanan" in messages[1]["text"]
    assert messages[-1]["response"] == "utter_howto_own_case"  # buttons: file a complaint, check status
