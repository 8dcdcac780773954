"""A local stand-in for Meta's Graph API (WhatsApp Cloud API) that checks every request against Meta's format.

Each request must carry the bearer token and use the documented paths and fields; anything else is answered
the way Meta answers a bad request (HTTP 400 with an `error` object), and recorded in `problems` so a test
fails loudly even when the client would have shrugged the error off.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERSION = "v21.0"
TOKEN = "EAAG-test-access-token"
PHONE_NUMBER_ID = "106540352242922"
MEDIA_KINDS = ("image", "document", "audio", "video", "sticker")


class FakeGraph:
    """The fake's state: media it serves, what it received, and the failures a test asks for."""

    def __init__(self):
        self.media: dict[str, tuple[bytes, str]] = {}
        self.uploads: dict[str, tuple[bytes, str, str]] = {}
        self.sent: list[dict] = []
        self.requests: list[tuple[str, str]] = []
        self.problems: list[str] = []
        self.fail_next: list[tuple[int, dict]] = []  # (HTTP status, error object) for the next sends
        self.lie_about_size = False
        self.media_base: str | None = None  # where the media URLs it hands out point (default: itself)
        self._n = 0
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def next_id(self, prefix: str) -> str:
        """A fresh id such as wamid.TEST1."""
        with self._lock:
            self._n += 1
            return f"{prefix}{self._n}"

    def add_media(self, media_id: str, data: bytes, mime: str) -> None:
        """Serve `data` as media `media_id`, as Meta does for a customer's upload."""
        self.media[media_id] = (data, mime)


def _handler(fake: FakeGraph):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output quiet
            pass

        def _answer(self, status: int, body, content_type: str = "application/json") -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _refuse(self, why: str, status: int = 400, code: int = 100) -> None:
            fake.problems.append(f"{self.command} {self.path}: {why}")
            self._answer(status, {"error": {"message": why, "type": "OAuthException", "code": code}})

        def _authorised(self) -> bool:
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._refuse("Invalid OAuth access token - Cannot parse access token", 401, 190)
                return False
            return True

        def do_GET(self):  # noqa: N802
            fake.requests.append(("GET", self.path))
            if not self._authorised():
                return
            if m := re.fullmatch(r"/media-file/([\w.-]+)", self.path):
                data, mime = fake.media[m.group(1)]
                return self._answer(200, data, mime)
            m = re.fullmatch(rf"/{VERSION}/([\w.-]+)", self.path)
            if not m or m.group(1) not in fake.media:
                return self._refuse("Unsupported get request. Object does not exist", code=100)
            data, mime = fake.media[m.group(1)]
            size = 10 if fake.lie_about_size else len(data)
            return self._answer(
                200,
                {
                    "messaging_product": "whatsapp",
                    "url": f"{fake.media_base or fake.base}/media-file/{m.group(1)}",
                    "mime_type": mime,
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "file_size": size,
                    "id": m.group(1),
                },
            )

        def do_POST(self):  # noqa: N802
            fake.requests.append(("POST", self.path))
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if not self._authorised():
                return
            if self.path == f"/{VERSION}/{PHONE_NUMBER_ID}/media":
                return self._upload(body)
            if self.path != f"/{VERSION}/{PHONE_NUMBER_ID}/messages":
                return self._refuse(f"Unknown path components: {self.path}")
            if self.headers.get_content_type() != "application/json":
                return self._refuse("messages must be sent as JSON")
            msg = json.loads(body)
            why = _check_message(msg, fake)
            if why:
                return self._refuse(why)
            if fake.fail_next:
                status, error = fake.fail_next.pop(0)
                return self._answer(status, {"error": error})
            fake.sent.append(msg)
            wamid = fake.next_id("wamid.TEST")
            return self._answer(
                200,
                {
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": msg["to"], "wa_id": msg["to"]}],
                    "messages": [{"id": wamid}],
                },
            )

        def _upload(self, body: bytes) -> None:
            ctype = self.headers.get("Content-Type", "")
            if not ctype.startswith("multipart/form-data"):
                return self._refuse("media upload must be multipart/form-data")
            parsed = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
            fields, file = {}, None
            for part in parsed.iter_parts():
                name = part.get_param("name", header="content-disposition")
                if name == "file":
                    file = (part.get_payload(decode=True), part.get_filename(), part.get_content_type())
                else:
                    fields[name] = part.get_content()
            if fields.get("messaging_product") != "whatsapp" or not fields.get("type") or file is None:
                return self._refuse("upload needs messaging_product=whatsapp, type and file")
            if fields["type"] != file[2]:
                return self._refuse("the type field must be the file's MIME type")
            media_id = fake.next_id("9000")
            fake.uploads[media_id] = file
            return self._answer(200, {"id": media_id})

    return Handler


def _check_message(msg: dict, fake: FakeGraph) -> str | None:
    """Why a /messages body breaks Meta's documented format, or None."""
    if msg.get("messaging_product") != "whatsapp":
        return "messaging_product must be 'whatsapp'"
    if msg.get("recipient_type", "individual") != "individual":
        return "recipient_type must be 'individual'"
    if not re.fullmatch(r"\+?[0-9]{5,15}", str(msg.get("to", ""))):
        return "to must be a phone number"
    kind = msg.get("type", "text")
    if kind == "text":
        body = (msg.get("text") or {}).get("body")
        if not body or len(body) > 4096:
            return "text.body must be 1 to 4096 characters"
        return None
    if kind not in MEDIA_KINDS:
        return f"type '{kind}' is not supported here"
    media = msg.get(kind) or {}
    if bool(media.get("id")) == bool(media.get("link")):
        return f"{kind} needs exactly one of id or link"
    if media.get("id") and media["id"] not in fake.uploads:
        return f"{kind}.id is not a media id uploaded to this phone number"
    if "caption" in media and (kind in ("audio", "sticker") or len(media["caption"]) > 1024):
        return f"{kind} cannot carry that caption"
    return None
