"""The ASGI app: channels' webhooks, the chat API, Rasa's action server, health, metrics, simulator."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException
from sqlalchemy.exc import SQLAlchemyError

import actions
from bot.db import Database
from bot.dialogue import DialogueWorker
from bot.jobs import MaintenanceWorker
from bot.metrics import ERRORS, REGISTRY, QueueDepthCollector
from bot.rasa_client import RasaClient
from bot.settings import Settings, get_settings
from catalog.live import LiveCatalog, ensure_imported
from channels import api, sms_gateway, telegram, twilio_messaging
from channels.base import Sender
from channels.workers import OutboxWorker
from complaints.reference import ensure_seeded
from complaints.suggest import LiveCategories

logger = logging.getLogger(__name__)

SIMULATOR_PAGE = Path(__file__).with_name("static") / "simulator.html"
# The page's own inline script and style only; no other origin, no framing.
SIMULATOR_POLICY = (
    "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; frame-ancestors 'none'"
)


def senders(settings: Settings, db: Database) -> dict[str, Sender]:
    """The outbound side of every enabled channel (a channel without credentials is off)."""
    enabled: dict[str, Sender] = {api.CHANNEL: api.ApiSender()}
    enabled |= twilio_senders(settings, db)
    gateway_secret = settings.sms_gateway_secret.get_secret_value()
    if gateway_secret and settings.sms_gateway_outbound_url:
        enabled[sms_gateway.CHANNEL] = sms_gateway.SmsGatewaySender(
            settings.sms_gateway_outbound_url, gateway_secret
        )
    telegram_bot = telegram.TelegramBot.from_settings(settings)
    if telegram_bot is not None:
        enabled[telegram.CHANNEL] = telegram.TelegramSender(
            telegram_bot, settings.telegram_chat_interval_seconds
        )
    return enabled


def twilio_channels(settings: Settings) -> dict[str, str]:
    """The enabled Twilio channels and their sender addresses."""
    if not (settings.twilio_account_sid and settings.twilio_auth_token.get_secret_value()):
        return {}
    configured = {
        twilio_messaging.WHATSAPP: settings.twilio_whatsapp_from,
        twilio_messaging.SMS: settings.twilio_sms_from,
    }
    return {channel: sender for channel, sender in configured.items() if sender}


def twilio_senders(settings: Settings, db: Database) -> dict[str, Sender]:
    """A TwilioSender per enabled Twilio channel."""
    return {
        channel: twilio_messaging.TwilioSender(
            channel,
            db,
            settings.twilio_account_sid,
            settings.twilio_auth_token.get_secret_value(),
            from_,
            settings.twilio_api_base_url,
            settings.public_base_url,
            settings.twilio_templates,
        )
        for channel, from_ in twilio_channels(settings).items()
    }


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; workers start and stop with the ASGI lifespan."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.effective_database_url)
        rasa = RasaClient(
            settings.effective_rasa_url, settings.secret("internal_token"), settings.rasa_timeout_seconds
        )
        waiters = api.ReplyWaiters()
        outbox = OutboxWorker(db, settings, senders(settings, db))

        def handled(inbox_id: int) -> None:
            waiters.notify(inbox_id)
            outbox.wake()

        dialogue = DialogueWorker(db, settings, rasa, on_handled=handled)
        catalog = LiveCatalog.from_settings(db, settings)
        await asyncio.to_thread(ensure_imported, db)
        await asyncio.to_thread(ensure_seeded, db)
        await asyncio.to_thread(catalog.current)  # build the index before the first question
        categories = LiveCategories.beside(catalog)
        await asyncio.to_thread(categories.current)
        executor = ActionExecutor()
        for action in actions.build(db, catalog, categories, settings):
            executor.register_action(action)
        app.state.db, app.state.rasa, app.state.executor = db, rasa, executor
        app.state.internal_token = settings.secret("internal_token")
        app.state.chat = api.ChatContext(
            db=db,
            token=settings.secret("api_token"),
            waiters=waiters,
            wait_seconds=settings.chat_wait_seconds,
            poll_seconds=settings.poll_seconds,
            wake_dialogue=dialogue.wake,
        )
        if settings.sms_gateway_secret.get_secret_value():
            app.state.sms_gateway = sms_gateway.GatewayContext(
                db, settings.sms_gateway_secret.get_secret_value(), dialogue.wake
            )
        if twilio_channels(settings):
            app.state.twilio = twilio_messaging.TwilioContext(
                db,
                settings.twilio_auth_token.get_secret_value(),
                settings.public_base_url or settings.app_url,
                frozenset(twilio_channels(settings)),
                dialogue.wake,
                outbox.wake,
            )
        telegram_sender = outbox.senders.get(telegram.CHANNEL)
        if isinstance(telegram_sender, telegram.TelegramSender):
            # Telegram being down at start-up must not stop the app: the bot is then readied on first send.
            telegram_sender.telegram.start_soon()
            app.state.telegram = telegram.webhook_context(
                settings, db, telegram_sender.telegram, dialogue.wake, outbox.wake
            )
        collector = QueueDepthCollector(db)
        REGISTRY.register(collector)
        stop = asyncio.Event()
        maintenance = MaintenanceWorker(db, settings)
        workers = [
            asyncio.create_task(dialogue.run(stop)),
            asyncio.create_task(outbox.run(stop)),
            asyncio.create_task(maintenance.run(stop)),
        ]
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*workers, return_exceptions=True)
            await outbox.aclose()
            REGISTRY.unregister(collector)
            await rasa.aclose()
            db.dispose()

    app = FastAPI(title="Loket", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.include_router(api.router)
    app.include_router(sms_gateway.router)
    app.include_router(telegram.router)
    app.include_router(twilio_messaging.router)

    @app.exception_handler(SQLAlchemyError)
    async def database_down(request: Request, error: SQLAlchemyError) -> JSONResponse:
        logger.error("database error on %s: %s", request.url.path, type(error).__name__)
        ERRORS.labels(kind="database").inc()
        return JSONResponse(
            {"error": "unavailable", "detail": "The service is temporarily unavailable; try again shortly."},
            503,
        )

    @app.post("/actions/webhook")
    async def action_webhook(request: Request) -> JSONResponse:
        """Rasa's action server protocol, served by rasa-sdk's executor inside the app."""
        token = request.query_params.get("token", "")
        if not hmac.compare_digest(token.encode(), request.app.state.internal_token.encode()):
            return JSONResponse({"error": "forbidden"}, 403)
        try:
            action_call = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"error": "invalid JSON"}, 400)
        executor: ActionExecutor = request.app.state.executor
        try:
            result = await executor.run(action_call)
        except ActionExecutionRejection as rejection:
            return JSONResponse({"error": rejection.message, "action_name": rejection.action_name}, 400)
        except ActionNotFoundException as missing:
            return JSONResponse({"error": missing.message, "action_name": missing.action_name}, 404)
        return JSONResponse(result.model_dump() if result else None)

    @app.get("/healthz")
    async def healthz(request: Request) -> JSONResponse:
        """Database and Rasa reachability; 503 only when the database is down (messages still queue)."""
        db: Database = request.app.state.db
        rasa: RasaClient = request.app.state.rasa
        try:
            await asyncio.to_thread(db.ping)
            database = "ok"
        except SQLAlchemyError:
            database = "unreachable"
        rasa_state = "ok" if await rasa.is_ready() else "unreachable"
        status = "ok" if database == rasa_state == "ok" else "degraded"
        body: dict[str, Any] = {"status": status, "database": database, "rasa": rasa_state}
        return JSONResponse(body, 200 if database == "ok" else 503)

    @app.get("/metrics")
    async def metrics() -> Response:
        """Prometheus exposition of the app's metrics."""
        payload = await asyncio.to_thread(generate_latest, REGISTRY)
        return Response(payload, media_type=CONTENT_TYPE_LATEST)

    @app.get("/simulator")
    async def simulator(request: Request) -> Response:
        """A small web chat on /api/v1/chat for trying Loket without a phone."""
        if not settings.simulator_enabled:
            return JSONResponse({"error": "not_found"}, 404)
        token = json.dumps(request.app.state.chat.token).replace("<", "\\u003c")
        page = SIMULATOR_PAGE.read_text(encoding="utf-8").replace("__LOKET_TOKEN__", token)
        return HTMLResponse(
            page,
            headers={"Content-Security-Policy": SIMULATOR_POLICY},
        )

    return app
