"""The ``matchmaker`` command: init-db, seed, create-user, run, demo (and more as they land).

Errors a user can cause (bad arguments, duplicate e-mail, a missing secret key) are printed as
one clear line with a non-zero exit, never a traceback.
"""

from __future__ import annotations

import functools
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app, has_app_context

from matchmaker import __version__
from matchmaker.config import ConfigError, default_instance_path
from matchmaker.db import get_engine, session_scope
from matchmaker.models import Language, Organization, OrganizationKind, Role

DEMO_PASSWORD = "sinergi-demo-2026"


def _create_app() -> Flask:
    from matchmaker.app import create_app

    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def with_app(command: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``command`` inside an app context built from the environment (and ``.env``)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            return command(*args, **kwargs)
        with _create_app().app_context():
            return command(*args, **kwargs)

    return wrapper


def register(app: Flask) -> None:
    """Expose the same commands under ``flask --app matchmaker.app`` too."""
    app.cli.add_command(main, name="matchmaker")


@click.group()
@click.version_option(__version__, prog_name="matchmaker")
def main() -> None:
    """Sinergi smart-city matchmaker: database, seed data, users and the web server.

    Settings come from MATCHMAKER_* environment variables and a .env file if present.
    """


@main.command("init-db")
@with_app
def init_db() -> None:
    """Create or upgrade the database schema (Alembic migrations to head)."""
    from matchmaker.migrate import upgrade

    upgrade(get_engine())
    click.echo("Database is at the latest migration.")


@main.command("seed")
@click.option("--demo", is_flag=True, help="Also load the demo organisations, users and content.")
@with_app
def seed(demo: bool) -> None:
    """Load the real regions (and, with --demo, the demo data). Safe to run twice."""
    from matchmaker.services import seeding

    with session_scope() as session:
        report = seeding.seed_regions(session)
        click.echo(f"Regions: {report.created} created, {report.updated} updated.")
        if demo:
            from matchmaker.services import demo_data

            demo_report = demo_data.seed_demo(session, password=DEMO_PASSWORD)
            click.echo(f"Demo data: {demo_report.created} created, {demo_report.updated} updated.")


@main.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--organization", "organization_name", default=None,
              help="Organisation name (created if missing). Coordinators default to the "
                   "programme's coordination office.")
@click.option("--language", type=click.Choice([lang.value for lang in Language]), default="id")
@with_app
def create_user(email: str, name: str, role: str, password: str, organization_name: str | None,
                language: str) -> None:
    """Create an active account (e.g. the first coordinator)."""
    from sqlmodel import select

    from matchmaker.services import accounts
    from matchmaker.services.errors import DomainError

    kind = {Role.CITY_OFFICIAL: OrganizationKind.CITY, Role.VENDOR: OrganizationKind.VENDOR}.get(
        Role(role), OrganizationKind.COORDINATION)
    if kind == OrganizationKind.CITY:
        raise click.UsageError("City officials register through the web form, where they "
                               "pick their kabupaten/kota.")
    default_name = "Sekretariat Gerakan Menuju 100 Smart City"
    org_name = organization_name or (default_name if kind == OrganizationKind.COORDINATION
                                     else None)
    if org_name is None:
        raise click.UsageError("--organization is required for vendors.")
    with session_scope() as session:
        org = session.exec(select(Organization).where(Organization.name == org_name,
                                                      Organization.kind == kind)).first()
        if org is None:
            org = Organization(kind=kind, name=org_name)
            session.add(org)
            session.flush()
        try:
            user = accounts.create_user(session, email=email, name=name, password=password,
                                        role=Role(role), organization=org,
                                        language=Language(language))
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(f"Created {user.role} {user.email} (active).")


@main.command("match")
@with_app
def match() -> None:
    """Recompute proposals for every open need against every published offer."""
    from matchmaker.services import matching, notifications

    with session_scope() as session:
        report = matching.rematch_all(session)
    notifications.deliver_outbox(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo(f"Matching: {report.needs} open needs, {report.proposed} new proposals, "
               f"{report.refreshed} refreshed, {report.withdrawn} withdrawn "
               f"in {report.seconds:.1f} s.")


@main.command("send-mail")
@with_app
def send_mail() -> None:
    """Send (or retry) the e-mails waiting in the outbox."""
    from matchmaker.services import notifications

    sent, failed = notifications.deliver_outbox(
        current_app._get_current_object(), limit=1000)  # type: ignore[attr-defined]
    click.echo(f"E-mail outbox: {sent} sent, {failed} failed (failures are retried later).")


@main.command("evaluate")
@click.option("--needs", "needs_path", required=True, type=click.Path(dir_okay=False))
@click.option("--offers", "offers_path", required=True, type=click.Path(dir_okay=False))
@click.option("--gold", "gold_path", required=True, type=click.Path(dir_okay=False))
@click.option("--overlap-gold", "overlap_path", type=click.Path(dir_okay=False), default=None)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def evaluate(needs_path: str, offers_path: str, gold_path: str, overlap_path: str | None,
             as_json: bool) -> None:
    """Score the matching engine on a labelled data set (the devset format)."""
    import json

    from matchmaker.matching import evaluation

    try:
        report = evaluation.evaluate_files(needs_path, offers_path, gold_path, overlap_path)
    except evaluation.DatasetError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(report, ensure_ascii=False) if as_json
               else evaluation.format_report(report))


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=lambda: int(os.environ.get("PORT", "5000")), type=int,
              show_default="5000 or $PORT")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
@with_app
def run(host: str, port: int, threads: int) -> None:
    """Serve the app with waitress."""
    from waitress import serve

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    click.echo(f"Sinergi is serving on http://{host}:{port}/ (Ctrl+C to stop)")
    try:
        serve(app, host=host, port=port, threads=threads, ident="Sinergi")
    except OSError as exc:
        raise click.ClickException(f"Cannot serve on {host}:{port}: {exc.strerror}. "
                                   "Choose another port with PORT=... or --port.") from exc


@main.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=lambda: int(os.environ.get("PORT", "5000")), type=int,
              show_default="5000 or $PORT")
@click.pass_context
def demo(ctx: click.Context, host: str, port: int) -> None:
    """Migrate, seed the demo data, compute matches, print the logins and serve."""
    _ensure_demo_secret_key()
    with _create_app().app_context():
        ctx.invoke(init_db)
        ctx.invoke(seed, demo=True)
        _after_seed_hooks(ctx)
        _print_demo_logins()
        ctx.invoke(run, host=host, port=port, threads=8)


def _ensure_demo_secret_key() -> None:
    """The demo keeps one random secret key in ``instance/`` so restarts keep sessions."""
    if os.environ.get("MATCHMAKER_SECRET_KEY"):
        return
    key_file = Path(default_instance_path()) / "secret_key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32), encoding="utf-8")
        key_file.chmod(0o600)
    os.environ["MATCHMAKER_SECRET_KEY"] = key_file.read_text(encoding="utf-8").strip()


def _after_seed_hooks(ctx: click.Context) -> None:
    """After seeding, the demo computes its matches and takes some of them further."""
    ctx.invoke(match)
    ctx.invoke(demo_story)


@main.command("demo-story")
@with_app
def demo_story() -> None:
    """Take demo proposals through the workflow (once): partnerships, approvals waiting,
    a rejection, answers waiting on each side, accounts to verify."""
    from matchmaker.services import demo_story as story
    from matchmaker.services import notifications

    with session_scope() as session:
        report = story.tell(session)
    notifications.deliver_outbox(current_app._get_current_object())  # type: ignore[attr-defined]
    if report.skipped:
        click.echo("Demo story: already told (proposals have been acted on).")
    else:
        click.echo(f"Demo story: {', '.join(report.told)}; "
                   f"{report.pending_accounts} accounts waiting for verification.")


def _print_demo_logins() -> None:
    from matchmaker.services import demo_data

    click.echo("")
    logins = demo_data.demo_logins()
    click.echo("Demo logins (password for all: " + DEMO_PASSWORD + "):")
    for email, role in logins[:3]:
        click.echo(f"  {role:<14} {email}")
    if len(logins) > 3:
        click.echo(f"  ...and {len(logins) - 3} more demo users (seeds/demo/users.json)")
    click.echo("")
