"""A local stand-in for Twilio's REST API that checks each request against Twilio's documented format.

Messages: POST /2010-04-01/Accounts/{AccountSid}/Messages.json, HTTP Basic auth (account SID, auth token),
form-encoded To, From or MessagingServiceSid, Body and/or MediaUrl, StatusCallback; answered 201 with the
Message resource as JSON. Media: GET /2010-04-01/Accounts/{AccountSid}/Messages/{MM}/Media/{ME} (Basic auth).
A request that breaks the format is answered 400 and its fault kept in `faults`, so a test can fail on it.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

MESSAGES = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-f]{32})/Messages\.json$")
MEDIA = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-f]{32})/Messages/MM[0-9a-f]{32}/Media/ME[0-9a-f]{32}$")
E164 = re.compile(r"^\+[1-9]\d{4,14}$")


class FakeTwilio:
    """The server's state: known accounts, requests seen, scripted failures and media files."""

    def __init__(self) -> None:
        self.accounts: dict[str, str] = {}
        self.messages: list[dict] = []
        self.faults: list[str] = []
        self.fail_next: list[tuple[int, int, str]] = []  # (HTTP status, Twilio error code, message)
        self.media: dict[str, tuple[bytes, str]] = {}
        self.media_gets = 0
        self.redirects: dict[str, str] = {}  # media path -> Location, as Twilio redirects media to its CDN
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def add_media(self, account_sid: str, data: bytes, content_type: str) -> str:
        """Serve `data` at a new media URL of the account; returns the URL."""
        path = f"/2010-04-01/Accounts/{account_sid}/Messages/MM{secrets.token_hex(16)}/Media/ME{secrets.token_hex(16)}"
        self.media[path] = (data, content_type)
        return self.url + path

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _auth(self, account: str) -> bool:
                header = self.headers.get("Authorization", "")
                if not header.startswith("Basic "):
                    return False
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
                return user == account and fake.accounts.get(account) == password

            def _answer(self, status: int, body: dict | bytes, ctype: str = "application/json") -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _error(self, status: int, code: int, message: str) -> None:
                self._answer(status, {"code": code, "message": message, "more_info": "", "status": status})

            def do_GET(self):
                path = urlparse(self.path).path
                if path in fake.redirects:
                    self.send_response(307)
                    self.send_header("Location", fake.redirects[path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                match = MEDIA.match(path)
                if not match or path not in fake.media:
                    return self._error(404, 20404, "The requested resource was not found")
                if not self._auth(match.group(1)):
                    return self._error(401, 20003, "Authenticate")
                fake.media_gets += 1
                data, ctype = fake.media[path]
                self._answer(200, data, ctype)

            def do_POST(self):
                path = urlparse(self.path).path
                match = MESSAGES.match(path)
                if not match:
                    fake.faults.append(f"unknown path {path}")
                    return self._error(404, 20404, "The requested resource was not found")
                account = match.group(1)
                if not self._auth(account):
                    fake.faults.append("bad or missing HTTP Basic auth")
                    return self._error(401, 20003, "Authenticate")
                if self.headers.get("Content-Type", "").split(";")[0] != "application/x-www-form-urlencoded":
                    fake.faults.append(f"not form-encoded: {self.headers.get('Content-Type')}")
                    return self._error(400, 20001, "not form-encoded")
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                form = parse_qs(body, keep_blank_values=True)
                fault = _check(form)
                if fault:
                    fake.faults.append(fault)
                    return self._error(400, 21604, fault)
                fake.messages.append({"account": account, "form": form})
                if fake.fail_next:
                    status, code, message = fake.fail_next.pop(0)
                    return self._error(status, code, message)
                sid = "SM" + secrets.token_hex(16)
                one = {k: v[0] for k, v in form.items()}
                self._answer(
                    201,
                    {
                        "sid": sid,
                        "account_sid": account,
                        "to": one["To"],
                        "from": one.get("From"),
                        "messaging_service_sid": one.get("MessagingServiceSid"),
                        "body": one.get("Body", ""),
                        "status": "queued",
                        "num_media": str(len(form.get("MediaUrl", []))),
                        "num_segments": "1",
                        "direction": "outbound-api",
                        "api_version": "2010-04-01",
                        "price": None,
                        "error_code": None,
                        "error_message": None,
                        "date_created": "Mon, 02 Nov 2026 09:00:00 +0000",
                        "date_updated": "Mon, 02 Nov 2026 09:00:00 +0000",
                        "date_sent": None,
                        "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json",
                        "subresource_uris": {"media": f"/2010-04-01/Accounts/{account}/Messages/{sid}/Media.json"},
                    },
                )

        return Handler


def _check(form: dict[str, list[str]]) -> str | None:
    """The first way a Messages create request breaks Twilio's documented format, or None."""
    allowed = {"To", "From", "MessagingServiceSid", "Body", "MediaUrl", "StatusCallback"}
    unknown = set(form) - allowed
    if unknown:
        return f"unexpected parameters {sorted(unknown)}"
    if len(form.get("To", [])) != 1 or not E164.match(form["To"][0]):
        return "To must be one E.164 number"
    if ("From" in form) == ("MessagingServiceSid" in form):
        return "exactly one of From and MessagingServiceSid is required"
    if "From" in form and not E164.match(form["From"][0]):
        return "From must be an E.164 number"
    if "MessagingServiceSid" in form and not re.match(r"^MG[0-9a-f]{32}$", form["MessagingServiceSid"][0]):
        return "MessagingServiceSid must be MG + 32 hex digits"
    if not form.get("Body", [""])[0] and not form.get("MediaUrl"):
        return "Body or MediaUrl is required"
    if len(form.get("Body", [""])[0]) > 1600:
        return "Body is over 1600 characters"
    if any(not u.startswith(("http://", "https://")) for u in form.get("MediaUrl", [])):
        return "MediaUrl must be absolute URLs"
    callback = form.get("StatusCallback", [""])[0]
    if not callback.startswith(("http://", "https://")) or "_" in urlparse(callback).hostname:
        return "StatusCallback must be an absolute URL with a valid hostname"
    return None
