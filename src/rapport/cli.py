"""The `rapport` command: serve, worker, migrate, create-admin, backup, restore, demo, import, export, bench, events."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from rapport.config import Settings, use_settings

app = typer.Typer(
    help="Rapport: every channel in one conversation history.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Data directory (RAPPORT_DATA_DIR).")]


def settings_for(data_dir: Path | None) -> Settings:
    """Settings from the environment, with --data-dir applied (and exported for child processes)."""
    if data_dir is not None:
        os.environ["RAPPORT_DATA_DIR"] = str(data_dir)
    settings = use_settings(Settings())
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


def database(settings: Settings):
    """A Database for the configured URL."""
    from rapport.db.engine import make_engine
    from rapport.db.session import Database

    return Database(make_engine(settings.resolved_database_url, pool_size=settings.db_pool_size))


@app.command()
def migrate(data_dir: DataDir = None) -> None:
    """Create or upgrade the database schema."""
    from rapport.db.migrate import upgrade

    settings = settings_for(data_dir)
    upgrade(database(settings).engine)
    typer.echo(f"Database is up to date: {_safe_url(settings.resolved_database_url)}")


@app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(prompt=True)],
    name: Annotated[str, typer.Option(prompt=True)] = "Admin",
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)] = "",
    data_dir: DataDir = None,
) -> None:
    """Create an admin agent who can sign in."""
    from rapport.agents import service
    from rapport.kernel.permissions import SYSTEM
    from rapport.kit.problems import Problem
    from rapport.models.enums import Role

    db = database(settings_for(data_dir))
    try:
        with db.write() as session:
            agent = service.create_agent(session, SYSTEM, name=name, email=email, role=Role.admin, password=password)
    except Problem as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Admin {agent.email} created (id {agent.id}).")


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(help="Web processes; each also runs a job worker.")] = 1,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Run web processes only (run `rapport worker` beside them).")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Run the web and the job worker (consumers, periodic jobs, jobs, email fetching) in one process.

    --workers N runs N web processes, each with its worker; --no-worker leaves the work to `rapport worker`.
    """
    settings = settings_for(data_dir)
    run_server(settings, host=host, port=port, workers=workers, run_worker=not no_worker)


def run_server(settings: Settings, *, host: str, port: int, workers: int = 1, run_worker: bool = True) -> None:
    """Migrate, then serve the app with uvicorn until interrupted."""
    import uvicorn

    from rapport.db.migrate import upgrade

    upgrade(database(settings).engine)
    # Exported too: with --workers N, each process builds its settings from the environment.
    os.environ["RAPPORT_BASE_URL"] = follow_served_address(settings, host=host, port=port)
    os.environ["RAPPORT_RUN_WORKER"] = "true" if run_worker else "false"
    if workers > 1 and not settings.redis_url:
        typer.echo("warning: live updates stay within each process; set RAPPORT_REDIS_URL to share them", err=True)
    receiver = smtp_in_supervisor(settings, workers=workers, run_worker=run_worker)
    uvicorn.run(
        "rapport.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        log_config=log_config(),
        access_log=False,  # Rapport writes its own (rapport.access, RAPPORT_ACCESS_LOG): no query strings
        http="httptools",
        loop="uvloop",
        # X-Forwarded-For names the client only when the connecting peer is a trusted proxy (the per-address
        # limits key on the client address; anyone else could claim any address in the header).
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
    )
    if receiver is not None:
        receiver.stop()
        from rapport.channels.email import readers

        readers.shutdown()  # the supervisor's own SMTP receiver read mail here too


def smtp_in_supervisor(settings: Settings, *, workers: int, run_worker: bool):
    """With several web processes, bind the SMTP receiver (RAPPORT_EMAIL_SMTP_LISTEN) once, here, not in each.

    A port takes one listener: each web process trying it made all but one fail at every start. The supervising
    process outlives its web processes (uvicorn restarts them), so it holds the listener; the web processes, which
    get their environment from it, are told not to listen. With one process, the app's own runtime listens.
    """
    listen = settings.email_smtp_listen
    if workers <= 1 or not listen or not run_worker:
        return None
    from rapport.channels.email.smtp_in import SmtpReceiver

    receiver = SmtpReceiver.from_listen(database(settings), listen)
    receiver.start()
    os.environ["RAPPORT_EMAIL_SMTP_LISTEN"] = ""  # the web processes read their settings from this environment
    return receiver


@app.command()
def worker(
    threads: Annotated[
        int | None, typer.Option("--threads", min=1, max=64, help="Job threads (default RAPPORT_WORKER_THREADS).")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Run the job worker alone (no web): event consumers, periodic jobs, jobs on N threads, email fetching.

    Run any number beside `rapport serve --no-worker`: they share the work through the jobs table.

    Each periodic job fires once per period, whatever the number of workers.

    A worker that dies has its jobs taken over after RAPPORT_JOB_LEASE_SECONDS.

    It stops on SIGTERM or Ctrl-C once its running jobs finish. Run `rapport migrate` first.
    """
    from rapport import worker_main

    settings = settings_for(data_dir)
    threads = threads or settings.worker_threads
    typer.echo(f"Worker running with {threads} job threads on {_safe_url(settings.resolved_database_url)}.")
    worker_main.run(settings, threads=threads)


@app.command()
def backup(
    target: Annotated[Path, typer.Argument(help="A new (or empty) directory to write the backup into.")],
    data_dir: DataDir = None,
) -> None:
    """Back up everything: a consistent copy of the database and the data directory's files (see docs/backup.md)."""
    from rapport.transfer.backup import BackupFailed
    from rapport.transfer.backup import backup as make_backup

    settings = settings_for(data_dir)
    try:
        report = make_backup(database(settings), settings, target)
    except BackupFailed as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    rows = sum(report.tables.values())
    typer.echo(f"Backed up {rows:,} rows in {len(report.tables)} tables and {len(report.files):,} files to {target}.")


@app.command()
def restore(
    source: Annotated[Path, typer.Argument(help="A directory written by `rapport backup`.")],
    force: Annotated[bool, typer.Option("--force", help="Replace a database that already holds data.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Restore a backup into the configured database and data directory, and check it against its manifest."""
    from rapport.transfer.backup import BackupFailed
    from rapport.transfer.backup import restore as put_back

    settings = settings_for(data_dir)
    try:
        report = put_back(database(settings), settings, source, force=force)
    except BackupFailed as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    rows = sum(report.tables.values())
    typer.echo(f"Restored {rows:,} rows in {len(report.tables)} tables and {len(report.files):,} files.")


def log_config() -> dict:
    """uvicorn's logging setup plus Rapport's loggers: warnings and up, and the access log's INFO lines."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["rapport"] = {"handlers": ["default"], "level": "WARNING", "propagate": False}
    config["loggers"]["rapport.access"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def follow_served_address(settings: Settings, *, host: str, port: int) -> str:
    """Unless RAPPORT_BASE_URL is set, the links Rapport writes (sign-in, portal, widget, mail) name this host:port."""
    if "base_url" not in settings.model_fields_set:
        shown = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "localhost"}.get(host, host)  # a wildcard: this machine
        settings.base_url = f"http://{f'[{shown}]' if ':' in shown else shown}:{port}"
    return settings.base_url.rstrip("/")


@app.command()
def bench(
    args: Annotated[list[str] | None, typer.Argument(help="Arguments for bench/run.py (see --help there).")] = None,
) -> None:
    """Run the benchmark in bench/ (from a source checkout)."""
    script = Path(__file__).resolve().parents[2] / "bench" / "run.py"
    if not script.exists():
        typer.echo("bench/run.py is part of the source checkout; run this from a clone of Rapport.", err=True)
        raise typer.Exit(1)
    raise typer.Exit(subprocess.call([sys.executable, str(script), *(args or [])]))


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


events_app = typer.Typer(help="The event log's consumers: replay one to backfill.", no_args_is_help=True)
app.add_typer(events_app, name="events")


@events_app.command("replay")
def events_replay(
    consumer: Annotated[str, typer.Argument(help="The consumer's name (one declared with history=True).")],
    from_start: Annotated[
        bool, typer.Option("--from-start", help="From the first event of the log, imported history included.")
    ] = False,
    after: Annotated[int | None, typer.Option("--after", help="From the event after this id.", min=0)] = None,
    data_dir: DataDir = None,
) -> None:
    """Move a consumer back and hand it the events again until it has caught up (metrics and insights backfill)."""
    from rapport.events.consumers import ReplayRefused, replay
    from rapport.worker.runner import load_handlers

    if from_start == (after is not None):
        typer.echo("error: give either --from-start or --after ID.", err=True)
        raise typer.Exit(2)
    settings = settings_for(data_dir)
    load_handlers()
    try:
        handled = replay(database(settings), consumer, after=after or 0)
    except ReplayRefused as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Replayed {handled:,} events to the consumer {consumer}.")


def main() -> None:
    """Entry point of the `rapport` script."""
    from rapport.cli_data import register

    register(app)
    app()
