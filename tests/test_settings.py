"""Settings that choose a default from the deployment."""

from __future__ import annotations

from rapport.config import Settings


def test_the_gil_switch_interval_is_short_except_for_web_processes_on_sqlite(tmp_path):
    sqlite = Settings(data_dir=tmp_path)
    postgres = Settings(data_dir=tmp_path, database_url="postgresql://u@127.0.0.1/x")
    assert sqlite.switch_interval(serving=True) == 0.005  # pages render on the event loop's thread
    assert sqlite.switch_interval(serving=False) == 0.0005  # the bulk importer
    assert postgres.switch_interval(serving=True) == 0.0005
    assert Settings(data_dir=tmp_path, gil_switch_ms=2).switch_interval(serving=True) == 0.002
