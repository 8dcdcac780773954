"""The demo organisation: a realistic help desk, generated deterministically and loaded by the bulk importer."""

from rapport.demo.generate import generate, records, write_jsonl
from rapport.demo.org import DEMO_EMAIL

__all__ = ["DEMO_EMAIL", "generate", "records", "write_jsonl"]
