"""The ``loket`` command line."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from datetime import datetime
from pathlib import Path

import click
import httpx
import uvicorn

from bot import logs, migrate, rasa_server
from bot.db import Database
from bot.settings import Settings, get_settings

READY_TIMEOUT_SECONDS = 300


@click.group()
def main() -> None:
    """Loket: citizen assistance chatbot and complaint handler."""


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply the Alembic migrations to LOKET_DATABASE_URL."""
    settings = get_settings()
    migrate.upgrade(settings.effective_database_url, revision)
    click.echo(f"database at revision {revision}")


@main.group("catalog")
def catalog_group() -> None:
    """The service catalog (the database is its source of truth)."""


@catalog_group.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path), required=False)
def catalog_import(folder: Path | None) -> None:
    """Validate and import content files (default: catalog/content); changed entries get a new version."""
    from catalog import schema, store
    from catalog.live import CONTENT_DIR

    db = _database()
    try:
        report = store.import_directory(db, folder or CONTENT_DIR, editor="cli")
    except schema.InvalidContent as invalid:
        raise click.ClickException(
            f"{len(invalid.errors)} problem(s), nothing imported:\n{invalid}"
        ) from invalid
    click.echo(
        f"created={len(report.created)} updated={len(report.updated)} unchanged={len(report.unchanged)}"
    )


@catalog_group.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def catalog_export(folder: Path) -> None:
    """Write every current entry as a content file into FOLDER."""
    from catalog import store

    click.echo(f"exported {store.export_directory(_database(), folder)} entries to {folder}")


@catalog_group.command("reindex")
def catalog_reindex() -> None:
    """Build the retrieval index from the database now (and fill the vector cache)."""
    from catalog.live import LiveCatalog

    settings = get_settings()
    snapshot = LiveCatalog.from_settings(_database(), settings).current()
    click.echo(f"indexed {len(snapshot.entries)} services in {snapshot.built_seconds:.2f} s")


@main.group("eval")
def eval_group() -> None:
    """Measure retrieval and NLU on question sets."""


@eval_group.command("retrieval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--method", type=click.Choice(["hybrid", "bm25", "dense"]), default="hybrid", show_default=True)
def eval_retrieval(file: Path, method: str) -> None:
    """Score retrieval on YAML items {text, expected}; prints misses, then one summary line."""
    from catalog.evaluation import evaluate, load_items
    from catalog.live import LiveCatalog, ensure_imported

    settings = get_settings()
    db = _database()
    ensure_imported(db)
    retriever = LiveCatalog.from_settings(db, settings).current().retriever
    report = evaluate(retriever, load_items(file), method)  # type: ignore[arg-type]
    for miss in report.misses:
        click.echo(miss)
    click.echo(report.line())


@eval_group.command("nlu")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def eval_nlu(file: Path) -> None:
    """Run the trained model on Rasa NLU YAML test data; prints misses, then one summary line."""
    from bot import nlu_eval

    settings = get_settings()
    model = _trained_model(settings)
    examples = nlu_eval.load_examples(file)
    report = nlu_eval.score(examples, nlu_eval.predict(settings, model, [text for text, _ in examples]))
    for miss in report.misses:
        click.echo(miss)
    click.echo(report.line())


@eval_group.command("complaints")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def eval_complaints(file: Path) -> None:
    """Score complaint detection and category suggestion on YAML items {text, category}; prints
    misses, the intents given to complaints and other messages, then one summary line."""
    from bot import nlu_eval
    from catalog.live import LiveCatalog
    from complaints import evaluation
    from complaints.reference import ensure_seeded
    from complaints.suggest import LiveCategories

    settings = get_settings()
    model = _trained_model(settings)
    items = evaluation.load_items(file)
    intents = nlu_eval.predict(settings, model, [item.text for item in items])
    db = _database()
    ensure_seeded(db)
    categories = LiveCategories.beside(LiveCatalog.from_settings(db, settings))
    categories.current()
    report = evaluation.evaluate(items, intents, categories.suggest)
    for line in [*report.misses, *report.table()]:
        click.echo(line)
    click.echo(f"category_p50_ms={report.p50_ms:.1f} category_p95_ms={report.p95_ms:.1f}")
    click.echo(report.line())


def _trained_model(settings: Settings) -> Path:
    """The model for the current training data, trained first if there is none."""
    try:
        model, _ = rasa_server.train(settings)
    except rasa_server.RasaSetupError as error:
        raise click.ClickException(str(error)) from error
    return model


@main.group("categories")
def categories_group() -> None:
    """Complaint categories: what officers corrected, and the examples the suggester learns from."""


@categories_group.command("corrections")
@click.option("--days", type=click.IntRange(min=1), default=90, show_default=True, help="Look back this far.")
def categories_corrections(days: int) -> None:
    """The category changes officers made most often (from -> to, count), and pending examples."""
    from datetime import timedelta

    from bot.db import utcnow
    from complaints import learning

    with _database().reading() as session:
        rows = learning.corrections(session, since=utcnow() - timedelta(days=days))
        pending = learning.pending_count(session)
    if not rows:
        click.echo(f"no category corrections in the last {days} days")
    for row in rows:
        click.echo(f"{row.count:5d}  {row.from_slug or '-'} -> {row.to_slug}")
    click.echo(f"{pending} proposed example(s) wait for review: loket categories review")


@categories_group.command("review")
@click.option(
    "--accept", "accept", multiple=True, type=int, help="Accept this proposed example (repeatable)."
)
@click.option(
    "--reject", "reject", multiple=True, type=int, help="Reject this proposed example (repeatable)."
)
@click.option("--by", "reviewer", default=None, help="Username of the reviewing account.")
def categories_review(accept: tuple[int, ...], reject: tuple[int, ...], reviewer: str | None) -> None:
    """List proposed examples (officers' corrections), or accept/reject them; accepted ones teach the
    suggester at once."""
    from complaints import learning

    db = _database()
    if not accept and not reject:
        with db.reading() as session:
            for example in learning.pending(session):
                click.echo(f"#{example.id}  {example.from_slug or '-'} -> {example.to_slug}: {example.text}")
        return
    with db.session() as session:
        try:
            done = learning.review(session, accept=accept, reject=reject, reviewer=reviewer)
        except learning.ReviewError as error:
            raise click.ClickException(str(error)) from error
    click.echo(f"accepted {done.accepted}, rejected {done.rejected}")


@main.group("calendar")
def calendar_group() -> None:
    """Working-day calendar: national holidays and cuti bersama, with administrators' corrections."""


@calendar_group.command("list")
@click.option("--year", type=int, default=None, help="Year to show (default: this year).")
def calendar_list(year: int | None) -> None:
    """Every day off in a year: the holiday library's and the administrators'."""
    from complaints.calendar import WorkingCalendar

    settings = get_settings()
    with _database().reading() as session:
        calendar = WorkingCalendar.load(session, settings.timezone)
    year = year or datetime.now(calendar.timezone).year
    for day, name, working in calendar.days_off(year):
        click.echo(f"{day.isoformat()}  {'masuk' if working else 'libur'}  {name}")


@calendar_group.command("add")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.argument("name")
@click.option("--working", is_flag=True, help="Make this a working day (override the library).")
def calendar_add(day: datetime, name: str, working: bool) -> None:
    """Add a day off (e.g. a new cuti bersama) or, with --working, a working day."""
    from complaints.models import CalendarDay

    with _database().session() as session:
        session.merge(CalendarDay(day=day.date(), working=working, name=name))
    click.echo(f"{day.date().isoformat()}: {'working day' if working else 'day off'} ({name})")


@calendar_group.command("remove")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
def calendar_remove(day: datetime) -> None:
    """Remove an administrator's correction (the library's answer applies again)."""
    from complaints.models import CalendarDay

    with _database().session() as session:
        found = session.get(CalendarDay, day.date())
        if found is None:
            raise click.ClickException(f"no correction for {day.date().isoformat()}")
        session.delete(found)


@main.group("routing")
def routing_group() -> None:
    """Which agency handles which category of complaint in which region."""


@routing_group.command("list")
def routing_list() -> None:
    """Every rule: category, region code prefix (- = whole province), agency."""
    from complaints import routing
    from complaints.reference import ensure_seeded

    db = _database()
    ensure_seeded(db)
    with db.reading() as session:
        for category, region, agency in routing.rules(session):
            click.echo(f"{category:24} {region or '-':10} {agency}")


@routing_group.command("set")
@click.argument("category")
@click.argument("agency")
@click.option(
    "--region", default=None, help="Kemendagri code prefix, e.g. 32.73 (default: the whole province)."
)
def routing_set(category: str, agency: str, region: str | None) -> None:
    """Send CATEGORY (from --region) to AGENCY, replacing the rule for that pair."""
    from complaints import routing
    from complaints.reference import ensure_seeded

    db = _database()
    ensure_seeded(db)
    try:
        with db.session() as session:
            routing.set_rule(session, category, region, agency)
    except routing.UnknownReference as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{category} from {region or 'the whole province'} -> {agency}")


@main.group("users")
def users_group() -> None:
    """Console accounts of officers, verifiers, supervisors and administrators."""


@users_group.command("create")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="Name shown in the console.")
@click.option("--role", type=click.Choice(["officer", "verifier", "supervisor", "admin"]), required=True)
@click.option("--agency", default=None, help="Agency slug (required for officers).")
@click.password_option(help="Password (asked for when not given).")
def users_create(username: str, display_name: str, role: str, agency: str | None, password: str) -> None:
    """Create an account."""
    from complaints.accounts import AccountError, create_officer
    from complaints.reference import ensure_seeded

    db = _database()
    ensure_seeded(db)
    try:
        with db.session() as session:
            create_officer(session, username, display_name, role, password, agency)
    except AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"created {role} {username}")


@main.group("telegram")
def telegram_group() -> None:
    """The Telegram bot: register the webhook, or poll for updates while developing."""


@telegram_group.command("set-webhook")
@click.option("--drop-pending", is_flag=True, help="Drop the updates Telegram holds for the bot.")
def telegram_set_webhook(drop_pending: bool) -> None:
    """Register LOKET_PUBLIC_BASE_URL/webhooks/telegram with the secret token."""
    from channels import telegram

    try:
        click.echo(asyncio.run(telegram.set_webhook(get_settings(), drop_pending)))
    except telegram.SetupError as error:
        raise click.ClickException(str(error)) from error


@telegram_group.command("poll")
@click.option("--max-updates", type=click.IntRange(min=1), default=None, help="Stop after this many updates.")
@click.option(
    "--timeout", type=click.IntRange(0, 50), default=30, show_default=True, help="Long-poll seconds."
)
def telegram_poll(max_updates: int | None, timeout: int) -> None:
    """Without a public URL: remove the webhook and forward updates to the running app (Ctrl-C stops)."""
    from channels import telegram

    try:
        count = asyncio.run(telegram.poll(get_settings(), click.echo, max_updates, timeout))
    except telegram.SetupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"forwarded {count} update(s)")


def _database() -> Database:
    settings = get_settings()
    migrate.upgrade(settings.effective_database_url)
    return Database(settings.effective_database_url)


@main.command()
@click.option("--force", is_flag=True, help="Train even if a model for the current data exists.")
def train(force: bool) -> None:
    """Train Rasa unless config, domain and data are unchanged since the last training."""
    settings = get_settings()
    started = time.monotonic()
    try:
        model, trained = rasa_server.train(settings, force=force)
    except rasa_server.RasaSetupError as error:
        raise click.ClickException(str(error)) from error
    verb = f"trained in {time.monotonic() - started:.0f} s" if trained else "up to date"
    click.echo(f"model {model.name} {verb}")


@main.command()
def run() -> None:
    """Start Rasa and the app, wait until both are ready, and print where to go."""
    settings = get_settings()
    logs.configure(settings.log_level)
    migrate.upgrade(settings.effective_database_url)
    try:
        model, trained = rasa_server.train(settings)
        if trained:
            click.echo(f"trained {model.name}")
        rasa = rasa_server.start(settings, model)
    except rasa_server.RasaSetupError as error:
        raise click.ClickException(str(error)) from error
    try:
        asyncio.run(_serve(settings, announce=True))
    finally:
        rasa_server.stop(rasa)


@main.command()
def serve() -> None:
    """Start only the app (Rasa runs elsewhere, at LOKET_RASA_URL)."""
    settings = get_settings()
    logs.configure(settings.log_level)
    migrate.upgrade(settings.effective_database_url)
    asyncio.run(_serve(settings, announce=False))


@main.command("rasa")
def rasa_only() -> None:
    """Start only the Rasa server (trained first if needed) and wait for it."""
    settings = get_settings()
    try:
        model, _ = rasa_server.train(settings)
        process = rasa_server.start(settings, model)
    except rasa_server.RasaSetupError as error:
        raise click.ClickException(str(error)) from error
    try:
        sys.exit(process.wait())
    finally:
        rasa_server.stop(process)


async def _serve(settings: Settings, announce: bool) -> None:
    from bot.app import create_app

    config = uvicorn.Config(
        create_app(settings), host=settings.host, port=settings.port, log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    if announce:
        await _announce_when_ready(settings, serving)
    await serving


async def _announce_when_ready(settings: Settings, serving: asyncio.Task[None]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline and not serving.done():
            with contextlib.suppress(httpx.HTTPError):
                health = (await client.get(f"{settings.app_url}/healthz", timeout=2)).json()
                if health.get("rasa") == "ok" and health.get("database") == "ok":
                    break
            await asyncio.sleep(1)
        else:
            if not serving.done():
                click.echo(
                    f"Rasa is not ready after {READY_TIMEOUT_SECONDS} s; see {settings.var_dir}/rasa/rasa.log"
                )
            return
    click.echo(
        "\nLoket is ready.\n"
        f"  Simulator: {settings.app_url}/simulator\n"
        f"  Chat API:  POST {settings.app_url}/api/v1/chat"
        f"  (Authorization: Bearer {settings.secret('api_token')})\n"
        f"  Health:    {settings.app_url}/healthz    Metrics: {settings.app_url}/metrics\n"
        "  Terminal chat: .venv/bin/loket chat\n"
        "Stop with Ctrl-C."
    )


@main.command()
@click.option("--sender", default="terminal", show_default=True, help="Who you are to Loket.")
@click.option("--url", default=None, help="Base URL of a running Loket (default: this machine's).")
def chat(sender: str, url: str | None) -> None:
    """Chat with a running Loket in the terminal."""
    settings = get_settings()
    base = url or settings.app_url
    headers = {"Authorization": f"Bearer {settings.secret('api_token')}"}
    click.echo("Type a message (Ctrl-D to quit).")
    with httpx.Client(base_url=base, headers=headers, timeout=settings.chat_wait_seconds + 5) as client:
        while True:
            try:
                text = input("> ")
            except EOFError:
                return
            if not text.strip():
                continue
            try:
                response = client.post("/api/v1/chat", json={"sender": sender, "text": text})
            except httpx.HTTPError as error:
                raise click.ClickException(f"Loket is not reachable at {base}: {error}") from error
            body = response.json()
            for reply in body.get("replies", []):
                click.echo(f"loket: {reply.get('text', '')}")
                for number, button in enumerate(reply.get("buttons", []), start=1):
                    click.echo(f"   [{number}] {button['title']}  ({button['payload']})")
            if "replies" not in body:
                click.echo(f"({response.status_code}) {body.get('detail', body)}")


if __name__ == "__main__":  # pragma: no cover
    main()
