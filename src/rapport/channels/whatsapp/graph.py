"""The WhatsApp Cloud API (Meta Graph API) calls Rapport makes: send, upload media, fetch media."""

from __future__ import annotations

import httpx2

from rapport.channels.whatsapp.config import WhatsAppSettings, checked_base
from rapport.config import get_settings
from rapport.kit import netguard
from rapport.kit.problems import Problem, TooLarge

# Meta's throttling codes (and HTTP 429/5xx) are worth retrying; other refusals will not change on a retry.
RETRYABLE_CODES = {4, 80007, 130429, 131016, 131056, 133004}


class UpstreamFailed(Problem):
    """Meta's Graph API failed; the webhook is not acknowledged, so Meta delivers it again."""

    status, title, slug = 502, "Upstream failed", "upstream-failed"


class GraphError(Exception):
    """Meta refused or failed a request; `permanent` when retrying cannot help."""

    def __init__(self, message: str, *, status: int, code: int | None = None, permanent: bool = False):
        super().__init__(message)
        self.status, self.code, self.permanent = status, code, permanent


class Graph:
    """A Graph API client for one phone number; use as a context manager."""

    def __init__(self, cfg: WhatsAppSettings):
        self.cfg = cfg
        try:
            base = checked_base(cfg)  # the SSRF guard, right before the calls
        except netguard.Refused as exc:
            raise GraphError(f"Not sent: {exc.detail}", status=422, permanent=True) from None
        self.http = httpx2.Client(
            base_url=f"{base}/{cfg.graph_version}",
            headers={"Authorization": f"Bearer {cfg.access_token}"},
            timeout=get_settings().http_timeout_seconds,
        )

    def __enter__(self) -> Graph:
        return self

    def __exit__(self, *exc) -> None:
        self.http.close()

    def send(self, body: dict) -> str:
        """POST /{phone-number-id}/messages; returns the message's wamid."""
        payload = {"messaging_product": "whatsapp", "recipient_type": "individual", **body}
        data = self._json(self.http.post(f"/{self.cfg.phone_number_id}/messages", json=payload))
        try:
            return data["messages"][0]["id"]
        except (KeyError, IndexError, TypeError):
            raise GraphError(f"Meta's answer carried no message id: {str(data)[:200]}", status=200) from None

    def upload(self, data: bytes, filename: str, content_type: str) -> str:
        """POST /{phone-number-id}/media (multipart); returns the media id."""
        response = self.http.post(
            f"/{self.cfg.phone_number_id}/media",
            data={"messaging_product": "whatsapp", "type": content_type},
            files={"file": (filename, data, content_type)},
        )
        return str(self._json(response)["id"])

    def fetch_media(self, media_id: str, *, limit: int) -> tuple[bytes, str | None]:
        """GET /{media-id} for its URL, then the bytes; TooLarge past `limit` without reading the rest."""
        info = self._json(self.http.get(f"/{media_id}"))
        declared = int(info.get("file_size") or 0)
        if declared > limit:
            raise _too_large(declared, limit)
        chunks, size = [], 0
        url, headers = self._media_url(str(info.get("url") or ""))
        with self.http.stream("GET", url, headers=headers) as response:
            if response.status_code != 200:
                raise GraphError(f"Fetching media {media_id} answered HTTP {response.status_code}.", status=502)
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise _too_large(size, limit, at_least=True)
                chunks.append(chunk)
        return b"".join(chunks), info.get("mime_type")

    def _media_url(self, url: str) -> tuple[str, dict]:
        """Meta's media URL through the SSRF guard; the inbox's private allowance covers its api_base only."""
        try:
            return netguard.checked_url(
                url,
                allow_private=self.cfg.allow_private and netguard.same_origin(url, self.cfg.api_base),
                what="The media URL Meta gave",
                allowance="the inbox's api_base only",
                field="url",
            )
        except netguard.Refused as exc:
            raise GraphError(f"Media not fetched: {exc.detail}", status=422, permanent=True) from None

    @staticmethod
    def _json(response: httpx2.Response) -> dict:
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code == 200 and isinstance(data, dict):
            return data
        error = data.get("error", {}) if isinstance(data, dict) else {}
        code = error.get("code")
        retry = response.status_code == 429 or response.status_code >= 500 or code in RETRYABLE_CODES
        message = error.get("message") or response.text[:200]
        detail = (error.get("error_data") or {}).get("details")
        text = f"Meta answered HTTP {response.status_code}" + (f" (code {code})" if code else "") + f": {message}"
        if detail:
            text += f" — {detail}"
        raise GraphError(text, status=response.status_code, code=code, permanent=not retry)


def _too_large(size: int, limit: int, *, at_least: bool = False) -> TooLarge:
    amount = f"more than {limit}" if at_least else str(size)
    return TooLarge(
        f"A WhatsApp attachment is {amount} bytes; the limit is {limit} bytes (RAPPORT_MAX_ATTACHMENT_BYTES).",
        limit=limit,
        setting="RAPPORT_MAX_ATTACHMENT_BYTES",
    )
