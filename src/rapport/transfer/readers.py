"""Reading import files: JSONL (one record a line) and CSV (one message a row), as numbered records."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from rapport.transfer.records import RecordError
from rapport.transfer.report import ImportFailed

FORMATS = ("jsonl", "csv")
CSV_COLUMNS = (
    "conversation_ref", "message_id", "customer_email", "customer_phone", "customer_name", "inbox", "channel",
    "subject", "status", "priority", "assignee", "team", "category", "tags", "direction", "author", "body",
    "body_html", "created_at",
)  # fmt: skip
# Conversation columns: read from the first row of a conversation that has a value; later rows may leave them empty.
CSV_CONVERSATION = (
    "customer_name",
    "inbox",
    "channel",
    "subject",
    "status",
    "priority",
    "assignee",
    "team",
    "category",
)

Record = tuple[int, dict[str, Any] | RecordError]


def detect(path: Path, fmt: str | None) -> str:
    """The format named, or the one the file's extension implies."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise ImportFailed(f"Unknown format '{fmt}'; use one of {', '.join(FORMATS)}.")
        return fmt
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    raise ImportFailed(f"Cannot tell the format of '{path.name}' from its extension; pass --format jsonl or csv.")


class Source:
    """An import file being read; `position` is how many bytes have been consumed, for a progress bar."""

    def __init__(self, path: Path, fmt: str | None = None):
        if not path.is_file():
            raise ImportFailed(f"There is no file '{path}'.")
        self.path = path
        self.format = detect(path, fmt)
        self.size = path.stat().st_size
        self._file = path.open("rb")

    @property
    def position(self) -> int:
        """Bytes read so far (the CSV reader reads ahead a little)."""
        return self._file.tell() if not self._file.closed else self.size

    def __iter__(self) -> Iterator[Record]:
        try:
            yield from (read_jsonl(self._file) if self.format == "jsonl" else read_csv(self._file))
        finally:
            self._file.close()


def read_jsonl(lines) -> Iterator[Record]:
    """(line number, object) for each non-blank line; a line that is not a JSON object yields a RecordError."""
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            yield number, RecordError(f"not valid JSON ({exc})")
            continue
        if not isinstance(obj, dict):
            yield number, RecordError("expected a JSON object with a 'type' field")
            continue
        yield number, obj


def read_csv(binary) -> Iterator[Record]:
    """Conversation records from CSV rows, one conversation per run of rows with the same conversation_ref."""
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ImportFailed(f"line 1: the CSV header cannot be read ({exc}).") from None
    _check_header(header)
    group: dict[str, Any] | None = None
    line = 1
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except (UnicodeDecodeError, csv.Error) as exc:
            yield start, RecordError(f"the row cannot be read as CSV ({exc})")
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield start, RecordError(f"has {len(row)} columns; the header has {len(header)}")
            continue
        values = {k: v.strip() for k, v in zip(header, row, strict=True) if v.strip() or k in ("body",)}
        ref = values.get("conversation_ref")
        if not ref:
            yield start, RecordError("conversation_ref: is required")
            continue
        if group is not None and group["ref"] != ref:
            yield line, group
            group = None
        if group is None:
            group, line = {"type": "conversation", "ref": ref, "messages": []}, start
        _add_row(group, values, start)
    if group is not None:
        yield line, group


def _check_header(header: list[str]) -> None:
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        raise ImportFailed(f"line 1: unknown CSV column '{unknown[0]}'; the columns are {', '.join(CSV_COLUMNS)}.")
    missing = [c for c in ("conversation_ref", "created_at") if c not in header]
    if "body" not in header and "body_html" not in header:
        missing.append("body")
    if "customer_email" not in header and "customer_phone" not in header:
        missing.append("customer_email or customer_phone")
    if missing:
        raise ImportFailed(f"line 1: the CSV header lacks the column(s) {', '.join(missing)}.")


def _add_row(group: dict[str, Any], values: dict[str, str], line: int) -> None:
    for key in CSV_CONVERSATION:
        if key in values and key not in group:
            group[key] = values[key]
    if "customer" not in group:
        ids = [f"email:{values['customer_email']}"] if values.get("customer_email") else []
        ids += [f"phone:{values['customer_phone']}"] if values.get("customer_phone") else []
        if ids:
            group["customer"] = ids
    if "tags" in values and "tags" not in group:
        group["tags"] = [t for t in values["tags"].replace(";", ",").split(",") if t.strip()]
    message = {"_line": line, "text": values.get("body"), "html": values.get("body_html")}
    for key, name in (("message_id", "id"), ("direction", "direction"), ("channel", "channel"), ("author", "author")):
        if key in values:
            message[name] = values[key]
    message["created_at"] = values.get("created_at")
    group["messages"].append(message)
