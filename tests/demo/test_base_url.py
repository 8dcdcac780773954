"""Links Rapport writes follow the address actually served, unless RAPPORT_BASE_URL says otherwise."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from rapport.agents.invite import make_link
from rapport.cli import follow_served_address
from rapport.config import Settings, use_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", "http://127.0.0.1:8123"),
        ("0.0.0.0", "http://127.0.0.1:8123"),  # noqa: S104 (a wildcard bind: the links name this machine)
        ("::1", "http://[::1]:8123"),
        ("rapport.lan", "http://rapport.lan:8123"),
    ],
)
def test_the_base_url_follows_the_served_host_and_port(monkeypatch, tmp_path, host, expected):
    monkeypatch.delenv("RAPPORT_BASE_URL", raising=False)
    settings = Settings(data_dir=tmp_path)
    assert follow_served_address(settings, host=host, port=8123) == expected
    assert settings.base_url == expected


def test_an_explicit_base_url_is_kept(monkeypatch, tmp_path):
    monkeypatch.setenv("RAPPORT_BASE_URL", "https://help.example.com")
    settings = Settings(data_dir=tmp_path)
    assert follow_served_address(settings, host="127.0.0.1", port=8123) == "https://help.example.com"


def test_links_the_app_writes_use_it(db, world, settings):
    follow_served_address(settings, host="127.0.0.1", port=8123)
    use_settings(settings)
    assert make_link(world.agent).startswith("http://127.0.0.1:8123/welcome/")


def test_make_demo_passes_port_and_host_to_the_demo_command():
    dry = subprocess.run(
        ["make", "-n", "demo", "PORT=8123", "HOST=0.0.0.0"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "rapport demo --host 0.0.0.0 --port 8123" in dry.stdout
