"""The `rapport` command: serve, migrate, create-admin, demo, import, export, bench."""

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
    from rapport.agents.permissions import SYSTEM
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
    no_worker: Annotated[bool, typer.Option("--no-worker", help="Run web processes only.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Run web, worker and scheduler in one process (or N web processes with --workers N)."""
    settings = settings_for(data_dir)
    run_server(settings, host=host, port=port, workers=workers, run_worker=not no_worker)


def run_server(settings: Settings, *, host: str, port: int, workers: int = 1, run_worker: bool = True) -> None:
    """Migrate, then serve the app with uvicorn until interrupted."""
    import uvicorn

    from rapport.db.migrate import upgrade

    upgrade(database(settings).engine)
    os.environ["RAPPORT_RUN_WORKER"] = "true" if run_worker else "false"
    if workers > 1 and not settings.redis_url:
        typer.echo("warning: live updates stay within each process; set RAPPORT_REDIS_URL to share them", err=True)
    uvicorn.run(
        "rapport.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        http="httptools",
        loop="uvloop",
        # X-Forwarded-For names the client only when the connecting peer is a trusted proxy (the per-address
        # limits key on the client address; anyone else could claim any address in the header).
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
    )


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


def main() -> None:
    """Entry point of the `rapport` script."""
    from rapport.transfer.commands import register

    register(app)
    app()
