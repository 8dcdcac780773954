"""Receiving a Twilio webhook: the form parameters, the public URL Twilio signed, and the signature check."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from twilio.request_validator import RequestValidator

from rapport.channels.twilio_common.config import CachedInbox, InboxCache
from rapport.config import get_settings
from rapport.kit.problems import BadRequest, Forbidden

SIGNATURE_HEADER = "x-twilio-signature"


@dataclass(frozen=True)
class Webhook:
    """A verified webhook: its inbox, its parameters and the URL it was signed for."""

    inbox: CachedInbox
    params: FormData
    url: str

    def get(self, name: str, default: str | None = None) -> str | None:
        """One parameter (the first, if repeated)."""
        return self.params.get(name, default)


def public_url(request: Request) -> str:
    """The URL Twilio requested: RAPPORT_BASE_URL (the app may sit behind a proxy) plus path and query."""
    url = get_settings().base_url.rstrip("/") + request.url.path
    return f"{url}?{request.url.query}" if request.url.query else url


def verify(token: str, url: str, params: FormData, signature: str | None) -> None:
    """Forbidden unless `signature` is Twilio's HMAC-SHA1 of `url` and `params` under the inbox's auth token."""
    if not signature:
        raise Forbidden("The X-Twilio-Signature header is missing; only Twilio may call this webhook.")
    if not RequestValidator(token).validate(url, params, signature):
        raise Forbidden(
            "The X-Twilio-Signature does not match this request (checked against RAPPORT_BASE_URL + path "
            "and the inbox's auth token); nothing was stored."
        )


async def receive(request: Request, inbox_id: int, channel: str) -> Webhook:
    """Parse and verify a webhook before any write, against the inbox's settings as committed now."""
    cache: InboxCache | None = getattr(request.app.state, "twilio_inboxes", None)
    if cache is None:
        cache = request.app.state.twilio_inboxes = InboxCache(request.app.state.db)
    # Read as committed now (one primary-key read): a deactivated inbox or a replaced auth token never verifies.
    inbox = await run_in_threadpool(cache.get, inbox_id, channel)
    ctype = request.headers.get("content-type", "")
    if not ctype.startswith("application/x-www-form-urlencoded"):
        raise BadRequest("Twilio webhooks are form-encoded (application/x-www-form-urlencoded).")
    body = await request.body()
    try:
        params = FormData(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False))
    except UnicodeDecodeError:
        raise BadRequest("The webhook body is not UTF-8.") from None
    url = public_url(request)
    verify(inbox.config.auth_token, url, params, request.headers.get(SIGNATURE_HEADER))
    return Webhook(inbox, params, url)


def twiml(body: object = None) -> Response:
    """A TwiML answer (an empty <Response/> when `body` is None)."""
    return Response(
        str(body) if body is not None else '<?xml version="1.0" encoding="UTF-8"?><Response />',
        media_type="application/xml",
    )
