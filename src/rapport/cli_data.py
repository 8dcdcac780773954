"""CLI commands for bulk data: demo, import, export (registered on the `rapport` Typer app)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from rapport.cli import DataDir, database, settings_for

FormatOption = Annotated[str | None, typer.Option("--format", help="jsonl or csv (default: from the extension).")]
SHOWN_ERRORS = 20


def register(app: typer.Typer) -> None:
    """Add the bulk-data commands to `app` (once)."""
    if any(c.name == "import" for c in app.registered_commands):
        return
    app.command("import")(import_command)
    app.command("export")(export_command)
    app.command("demo")(demo_command)


def import_command(
    file: Annotated[Path, typer.Argument(help="The JSONL or CSV file (see docs/import-format.md).")],
    format: FormatOption = None,  # noqa: A002
    max_errors: Annotated[int, typer.Option(help="Stop after this many refused lines.")] = 1000,
    data_dir: DataDir = None,
) -> None:
    """Import teams, agents, inboxes, customers and conversations; running the same file again adds nothing."""
    from rich.console import Console

    from rapport.db.migrate import upgrade
    from rapport.transfer.importer import import_file
    from rapport.transfer.report import ImportFailed

    db = database(settings_for(data_dir))
    upgrade(db.engine)
    console = Console(stderr=True)
    with _bar(console, "Importing", file.stat().st_size if file.is_file() else None) as (progress, task):
        try:
            report = import_file(
                db,
                file,
                format=format,
                max_errors=max_errors,
                on_batch=lambda _report, source: progress.update(task, completed=source.position),
                on_phase=lambda text: progress.update(task, description=text),
            )
        except ImportFailed as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(1) from exc
        progress.update(task, completed=progress.tasks[0].total or 0)
    _summary(console, report)
    if report.error_count or report.aborted:
        raise typer.Exit(1)


def export_command(
    out: Annotated[Path, typer.Argument(help="Where to write the JSONL file.")],
    include_secrets: Annotated[
        bool,
        typer.Option(
            "--include-secrets",
            help="Also write channel secrets (Twilio auth tokens, WhatsApp tokens and app secrets, mail passwords) "
            "in clear text; by default they are written masked and must be entered again after an import.",
        ),
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Export conversations in the import format (JSONL for `rapport import`); not a backup: see `rapport backup`."""
    from rich.console import Console

    from rapport.transfer.export import export_jsonl

    db = database(settings_for(data_dir))
    console = Console(stderr=True)
    if include_secrets:
        console.print(
            f"warning: {out} will hold channel secrets in clear text (Twilio auth tokens, WhatsApp tokens and app "
            "secrets, mail passwords); it is made readable by you only; keep it as safe as the credentials.",
            style="bold yellow",
        )
    counts = export_jsonl(db, out, include_secrets=include_secrets)
    listed = ", ".join(f"{n:,} {kind}{'es' if kind.endswith('x') else 's'}" for kind, n in counts.items())
    console.print(f"Exported {listed or 'nothing'} to {out}.")
    if not include_secrets:
        console.print(
            "Channel secrets were left out (written as ********): enter them again after an import, "
            "or export with --include-secrets."
        )


def demo_command(
    data_dir: Annotated[Path, typer.Option("--data-dir", help="Data directory of the demo.")] = Path("data/demo"),
    conversations: Annotated[int, typer.Option(min=0, help="How many conversations to generate.")] = 10_000,
    customers: Annotated[int, typer.Option(min=1, help="How many customers to generate.")] = 2_000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same organisation.")] = 1,
    host: Annotated[str, typer.Option(help="Address to serve on (make demo HOST=…).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to serve on (make demo PORT=…).")] = 8000,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Load the demo, then exit.")] = False,
    live_every: Annotated[
        float,
        typer.Option(min=0, help="While serving, a customer writes in about every this many seconds (0: never)."),
    ] = 40.0,
) -> None:
    """Load a realistic demo organisation (once) and serve it with a mail catcher, printing where to sign in."""
    from rich.console import Console

    from rapport.cli import follow_served_address, run_server
    from rapport.db.migrate import upgrade
    from rapport.demo.load import (
        DEMO_PASSWORD,
        ensure_login,
        is_loaded,
        last_activity,
        online,
        send_mail_to,
        verify_customer_emails,
    )
    from rapport.demo.macros import ensure_macros
    from rapport.demo.mailcatcher import MailCatcher
    from rapport.demo.org import CHAT_KEY, DEMO_EMAIL
    from rapport.demo.playbooks import ensure_playbooks
    from rapport.demo.recognition import ensure_recognition
    from rapport.demo.routing import ensure_routing
    from rapport.demo.rules import ensure_rules
    from rapport.demo.sla import ensure_targets
    from rapport.demo.surveys import ensure_surveys
    from rapport.kit import clock

    console = Console(stderr=True)
    settings = settings_for(data_dir)
    db = database(settings)
    upgrade(db.engine)
    if is_loaded(db, conversations):
        console.print(f"The demo is already loaded in {settings.data_dir}.")
        latest = last_activity(db)
        if latest is not None and clock.now() - latest > timedelta(days=2):
            console.print(
                f"Its dates are those of {latest:%d %b %Y}; delete {settings.data_dir} to load it again with today's."
            )
    else:
        from rapport.demo import generate

        with _bar(console, "Loading the demo", conversations) as (progress, task):
            report = generate(
                db,
                conversations=conversations,
                customers=customers,
                seed=seed,
                on_batch=lambda r: progress.update(
                    task, completed=r.counts["conversation.created"] + r.counts["conversation.existing"]
                ),
            )
        _summary(console, report)
        if report.aborted:
            raise typer.Exit(1)
    ensure_login(db)
    online(db)
    if ensure_targets(db):
        console.print("Service targets: two calendars and three policies, running on the open conversations.")
    if ensure_macros(db, DEMO_EMAIL):
        console.print("Macros: fifteen canned replies (for everyone, per team and one of your own) in the composer.")
    if ensure_playbooks(db):
        console.print("Playbooks: damaged delivery, account compromise and refund over limit, on some conversations.")
    if ensure_rules(db):
        console.print("Rules: ten, acting on the demo's live traffic from now on (see /admin/rules).")
    if ensure_routing(db):
        console.print("Routing: balanced by spare capacity in each team; a third of the agents online.")
    if ensure_surveys(db):
        console.print("Surveys: CSAT and expectations after solving, with months of answers.")
    if ensure_recognition(db):
        console.print("Recognition: kudos for the agents customers praised, follow-ups for the unhappy answers.")
    customer_email = verify_customer_emails(db)
    url = follow_served_address(settings, host=host, port=port)
    console.print(
        f"\nRapport demo: {url}\nSign in as [bold]{DEMO_EMAIL}[/bold] with password [bold]{DEMO_PASSWORD}[/bold]\n"
        f"Chat as a customer: {url}/chat/demo?key={CHAT_KEY}\n"
        f"Customer portal: {url}/portal (sign in as a customer, e.g. {customer_email}; the link arrives in the "
        f"mail catcher: {url}/demo/mail)\n"
    )
    if no_serve:
        return
    # Mail goes to a catcher on this machine: replies show delivered, and sign-in links can be followed.
    catcher = MailCatcher(
        settings.data_dir, keep=settings.demo_mail_keep, max_bytes=settings.email_max_message_bytes
    ).start()
    try:
        send_mail_to(db, settings, host=catcher.host, port=catcher.port)
        # Exported too, for a server process that builds its settings from the environment.
        os.environ.update(
            RAPPORT_SMTP_HOST=catcher.host,
            RAPPORT_SMTP_PORT=str(catcher.port),
            RAPPORT_SMTP_STARTTLS="false",
            RAPPORT_DEMO_MAIL_CATCHER="true",
        )
        os.environ.pop("RAPPORT_SMTP_USER", None)
        console.print(f"Mail Rapport sends is caught on this machine (127.0.0.1:{catcher.port}): {url}/demo/mail\n")
        if live_every > 0:
            from rapport.demo.traffic import Traffic

            # In this process: the server below runs one worker here, so its live pages hear each message.
            Traffic(db, every=live_every).start()
            console.print(f"Customers write in about every {live_every:g}s while it runs (--live-every 0: never).\n")
        run_server(settings, host=host, port=port)
    finally:
        catcher.stop()


@contextmanager
def _bar(console, label: str, total: int | None) -> Iterator[tuple]:
    """A rich progress bar (bytes of a file, or a count), yielding (progress, task)."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(), console=console
    )
    task = progress.add_task(label, total=total)
    with progress:
        yield progress, task


def _summary(console, report) -> None:
    from rich.table import Table

    table = Table("record", "created", "already there", title="Import summary", title_justify="left")
    for kind, created, existing in report.rows():
        table.add_row(kind, f"{created:,}", f"{existing:,}")
    console.print(table)
    rate = f", {report.messages_per_second:,.0f} messages/s" if report.counts["message.created"] else ""
    console.print(f"Took {report.seconds:.1f}s{rate}.")
    if report.indexes_built:
        console.print(f"The tables were empty: {len(report.indexes_built)} indexes were built once, after the load.")
    if report.error_count:
        console.print(f"[yellow]{report.error_count:,} line(s) refused[/yellow]; nothing else was lost:")
        for line, message in report.errors[:SHOWN_ERRORS]:
            console.print(f"  line {line}: {message}")
        if report.error_count > SHOWN_ERRORS:
            console.print(f"  … and {report.error_count - SHOWN_ERRORS:,} more.")
    if report.aborted:
        console.print(f"[red]Import stopped:[/red] {report.aborted}")
