"""Alembic environment: runs against the connection handed in by rapport.db.migrate, or the configured URL."""

from alembic import context

import rapport.models  # noqa: F401  (registers every table)
from rapport.db.base import Base

config = context.config


def run() -> None:
    """Run migrations online on the given connection or a fresh engine."""
    connection = config.attributes.get("connection")
    if connection is None:
        from rapport.config import get_settings
        from rapport.db.engine import make_engine

        engine = make_engine(config.get_main_option("sqlalchemy.url") or get_settings().resolved_database_url)
        with engine.connect() as connection:
            _migrate(connection)
            connection.commit()
        return
    _migrate(connection)


def _migrate(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
