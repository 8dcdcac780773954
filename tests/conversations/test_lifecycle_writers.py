"""Only the lifecycle writes a conversation's status, reopen count, solved/closed, reply and wait times.

A scan of the source's syntax trees (no import-linter needed): an attribute assignment, a `setattr`, an
UPDATE's `.values(...)`, a conversation row built as a dict, or SQL text that sets one of those columns is
allowed only under `conversations/lifecycle/`.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import rapport
from rapport.conversations.lifecycle.core import COLUMNS

SRC = Path(rapport.__file__).parent
LIFECYCLE = SRC / "conversations" / "lifecycle"
NAMES = set(COLUMNS)
# Objects that are not conversations but have an attribute of the same name: the PATCH's change set, and an
# HTTP status on an error (a problem, a provider's exception); no model has behaviour, so no `self.status`.
NOT_CONVERSATIONS = {"changes", "problem", "self"}
SQL_SET = re.compile(r"UPDATE\s+conversations\b.*\bSET\b.*\b(" + "|".join(COLUMNS) + r")\s*=", re.I | re.S)


def writes(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, what) for every write of a lifecycle column in a module's tree."""
    found = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            for t in ast.walk(target):
                if isinstance(t, ast.Attribute) and t.attr in NAMES:
                    owner = t.value.id if isinstance(t.value, ast.Name) else ""
                    if owner not in NOT_CONVERSATIONS:
                        found.append((t.lineno, f"{owner}.{t.attr} ="))
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "setattr" and len(node.args) > 1:
                name = node.args[1]
                if isinstance(name, ast.Constant) and name.value in NAMES:
                    found.append((node.lineno, f"setattr(…, {name.value!r})"))
            if isinstance(func, ast.Attribute) and func.attr == "values":
                found += [(node.lineno, f".values({k.arg}=…)") for k in node.keywords if k.arg in NAMES]
        if isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            if keys & NAMES and {"inbox_id", "customer_id", "channel"} <= keys:
                found.append((node.lineno, f"conversation row with {sorted(keys & NAMES)}"))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_SET.search(node.value):
            found.append((node.lineno, "UPDATE conversations SET …"))
    return found


def test_no_module_but_the_lifecycle_writes_its_columns():
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        if LIFECYCLE in path.parents or "migrations" in path.parts:
            continue
        for line, what in writes(ast.parse(path.read_text(), str(path))):
            offenders.append(f"{path.relative_to(SRC)}:{line}: {what}")
    assert offenders == []


def test_the_scan_finds_each_kind_of_write():
    sample = """
conv.status = "open"
conv.reopen_count += 1
a.solved_at, b.closed_at = x, y
setattr(conv, "first_reply_at", now)
update(Conversation).values(last_inbound_at=now)
row = {"subject": s, "status": "new", "inbox_id": 1, "customer_id": 2, "channel": "email"}
SQL = "UPDATE conversations SET human_requested_at = NULL WHERE id = 1"
changes.status = "open"
message.delivery_status = "sent"
"""
    assert [line for line, _ in writes(ast.parse(sample))] == [2, 3, 4, 4, 5, 6, 7, 8]
