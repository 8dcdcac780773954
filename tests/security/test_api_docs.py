"""/api/v1/docs works offline under the same CSP as every page: Swagger UI is vendored, its initialiser a file.

ISSUE13: the docs page had no CSP and loaded Swagger UI from a CDN, so it was blank without network.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from rapport.web.pages import CSP


def test_the_docs_page_carries_the_csp(client):
    r = client.get("/api/v1/docs")
    assert r.status_code == 200
    assert r.headers["content-security-policy"] == CSP
    assert r.headers["x-content-type-options"] == "nosniff"


def test_the_docs_page_loads_only_same_origin_files_and_no_inline_script(client):
    html = client.get("/api/v1/docs").text
    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets) and any(a.endswith(".css") for a in assets)
    for asset in assets:
        parts = urlsplit(asset)
        assert not parts.scheme and not parts.netloc and asset.startswith("/"), asset  # same origin
        got = client.get(asset)
        assert got.status_code == 200 and got.content, asset
    for script in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
        assert "src=" in script[0] and not script[1].strip(), "inline script"
    assert "cdn" not in html.lower()


def test_the_initialiser_points_at_the_document(client):
    html = client.get("/api/v1/docs").text
    assert 'data-openapi="/api/v1/openapi.json"' in html
    assert client.get("/api/v1/openapi.json").json()["openapi"].startswith("3.")
