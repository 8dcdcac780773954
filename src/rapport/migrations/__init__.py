"""Alembic migrations, shipped inside the package so `rapport migrate` works from any install."""
