"""Full-text search through the API and the service, on every backend: kinds, ranking, filters, safety."""

from __future__ import annotations

import pytest

from rapport.agents import service as agents
from rapport.kernel.permissions import SYSTEM, Actor
from rapport.kit.problems import Invalid
from rapport.models.enums import Role
from rapport.search import query, service
from tests.conftest import World, inbound

FILLER = [
    "Where is my parcel, it was due on Monday",
    "The app crashes when I open settings",
    "Can I change the email on my account",
    "Thanks, that solved it",
    "My password reset link has expired",
    "Do you ship to Norway",
]


def _get(client, token, **params):
    return client.get("/api/v1/search", params=params, headers=World.auth(token))


def _hits(client, world, **params) -> list[dict]:
    r = _get(client, world.agent_token, **params)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def _msg(client, world, text, address="jo@customer.test", **extra) -> dict:
    return inbound(client, world.agent_token, world.email_inbox.id, address=address, text=text, **extra)


def _filler(client, world):
    # Unrelated messages, so that searched words are not in every row (as in any real help desk).
    for i, text in enumerate(FILLER):
        _msg(client, world, text, address=f"filler{i}@customer.test", subject=f"Filler {i}")


def test_each_kind_is_found_with_its_details(client, world):
    out = _msg(client, world, "The blender makes a grinding noise", address="zelda@hyrule.test", subject="Blender")
    h = World.auth(world.agent_token)
    r = client.post("/api/v1/customers", json={"name": "Impa Sheikah", "company": "Kakariko Blenders"}, headers=h)
    assert r.status_code == 201
    impa = r.json()["id"]

    messages = _hits(client, world, q="grinding", kind="messages")
    assert [(m["kind"], m["id"]) for m in messages] == [("message", out["message_id"])]
    assert messages[0]["conversation_id"] == out["conversation_id"]
    assert messages[0]["subject"] == "Blender" and messages[0]["status"] == "new"
    assert messages[0]["customer_id"] == out["customer_id"]
    assert "<mark>grinding</mark>" in messages[0]["snippet"]

    conversations = _hits(client, world, q="blender", kind="conversations")
    assert [(c["kind"], c["id"]) for c in conversations] == [("conversation", out["conversation_id"])]
    assert conversations[0]["snippet"] == "<mark>Blender</mark>"

    customers = _hits(client, world, q="sheikah", kind="customers")
    assert [(c["kind"], c["id"], c["name"]) for c in customers] == [("customer", impa, "Impa Sheikah")]
    assert "<mark>Sheikah</mark>" in customers[0]["snippet"] and "Kakariko" in customers[0]["snippet"]
    assert [c["id"] for c in _hits(client, world, q="kakariko", kind="customers")] == [impa]

    # All kinds at once: the conversation, its message and the customer whose company matches.
    everything = {(x["kind"], x["id"]) for x in _hits(client, world, q="blender")}
    assert everything == {("conversation", out["conversation_id"]), ("message", out["message_id"]), ("customer", impa)}


def test_customers_by_identity_address_exact_or_prefix(client, world):
    zelda = _msg(client, world, "hi", address="Zelda@Hyrule.test")["customer_id"]
    _msg(client, world, "hi", address="zorro@other.test")
    h = World.auth(world.agent_token)
    phone = client.post(
        "/api/v1/customers",
        json={"name": "Link", "identities": [{"kind": "phone", "address": "+1 415 555 0100"}]},
        headers=h,
    ).json()["id"]
    exact = _hits(client, world, q="zelda@hyrule.test", kind="customers")
    assert [c["id"] for c in exact] == [zelda]
    assert exact[0]["snippet"] == "<mark>zelda@hyrule.test</mark>"
    prefix = _hits(client, world, q="zeld", kind="customers")
    assert [c["id"] for c in prefix] == [zelda] and prefix[0]["snippet"] == "<mark>zeld</mark>a@hyrule.test"
    # A phone number however it is typed.
    assert [c["id"] for c in _hits(client, world, q="+1 (415) 555-0100", kind="customers")] == [phone]
    assert [c["id"] for c in _hits(client, world, q="+1415555", kind="customers")] == [phone]


def test_more_occurrences_rank_higher(client, world):
    _filler(client, world)
    once = _msg(client, world, "I would like a refund for the lamp I bought last week", address="a@customer.test")
    many = _msg(client, world, "Refund! I asked for a refund twice, still no refund.", address="b@customer.test")
    hits = _hits(client, world, q="refund", kind="messages")
    assert [h["id"] for h in hits] == [many["message_id"], once["message_id"]]
    assert hits[0]["score"] > hits[1]["score"] > 0


def test_a_match_in_the_subject_ranks_above_one_in_a_message(client, world):
    _filler(client, world)
    in_body = _msg(client, world, "Could you look into a refund for me", address="a@customer.test", subject="Order")
    in_subject = _msg(client, world, "Hello, see subject", address="b@customer.test", subject="Refund request")
    hits = _hits(client, world, q="refund")
    assert (hits[0]["kind"], hits[0]["id"]) == ("conversation", in_subject["conversation_id"])
    assert ("message", in_body["message_id"]) in [(h["kind"], h["id"]) for h in hits]


def test_stemming_phrases_and_prefixes(client, world):
    _filler(client, world)
    plural = _msg(client, world, "Are refunds possible after thirty days?", address="a@customer.test")
    singular = _msg(client, world, "Refunding my order please", address="b@customer.test")
    phrase = _msg(client, world, "My delivery address has changed", address="c@customer.test")
    reversed_ = _msg(client, world, "Which address do you use for delivery?", address="d@customer.test")
    assert {h["id"] for h in _hits(client, world, q="refund", kind="messages")} == {
        plural["message_id"],
        singular["message_id"],
    }
    assert {h["id"] for h in _hits(client, world, q="refunds", kind="messages")} == {
        plural["message_id"],
        singular["message_id"],
    }
    assert [h["id"] for h in _hits(client, world, q='"delivery address"', kind="messages")] == [phrase["message_id"]]
    both = {h["id"] for h in _hits(client, world, q="delivery address", kind="messages")}
    assert both == {phrase["message_id"], reversed_["message_id"]}
    assert {h["id"] for h in _hits(client, world, q="refu*", kind="messages")} == {
        plural["message_id"],
        singular["message_id"],
    }
    assert _hits(client, world, q="refunds thirty", kind="messages")[0]["id"] == plural["message_id"]


def test_filters_narrow_conversations_and_messages(client, world):
    h = World.auth(world.agent_token)
    a = _msg(client, world, "The kettle leaks", address="a@customer.test", subject="Kettle")
    b = inbound(
        client,
        world.agent_token,
        world.api_inbox.id,
        address="b@customer.test",
        text="My kettle is loud",
        subject="Kettle noise",
        channel="sms",
    )
    client.patch(
        f"/api/v1/conversations/{a['conversation_id']}",
        json={"status": "pending", "assignee_id": world.agent.id},
        headers=h,
    )

    def ids(**params):
        return {(x["kind"], x["id"]) for x in _hits(client, world, q="kettle", **params)}

    conv_a, msg_a = ("conversation", a["conversation_id"]), ("message", a["message_id"])
    conv_b, msg_b = ("conversation", b["conversation_id"]), ("message", b["message_id"])
    assert ids(kind=["conversations", "messages"]) == {conv_a, msg_a, conv_b, msg_b}
    assert ids(status="pending") == {conv_a, msg_a}
    assert ids(status=["new", "open"]) == {conv_b, msg_b}
    assert ids(channel="sms") == {conv_b, msg_b}
    assert ids(inbox_id=world.api_inbox.id) == {conv_b, msg_b}
    assert ids(assignee_id=world.agent.id) == {conv_a, msg_a}
    assert ids(team_id=world.team.id) == {conv_a, msg_a}
    assert ids(customer_id=b["customer_id"], kind=["conversations", "messages"]) == {conv_b, msg_b}
    assert ids(status="closed") == set()
    # The status filter keeps customers out: they have none.
    client.post("/api/v1/customers", json={"name": "Kettle Collector"}, headers=h)
    assert {k for k, _ in ids()} == {"conversation", "message", "customer"}
    assert {k for k, _ in ids(status="pending")} == {"conversation", "message"}


def test_snippets_are_escaped_html_with_marks_only(client, world):
    _msg(
        client, world, "<script>alert('x')</script> & <b>bold</b> about my refund \"now\"", subject="<img src=x> refund"
    )
    hits = _hits(client, world, q="refund")
    assert {h["kind"] for h in hits} == {"conversation", "message"}
    for hit in hits:
        assert "<script" not in hit["snippet"] and "<img" not in hit["snippet"] and "<b>" not in hit["snippet"]
        assert "<mark>refund</mark>" in hit["snippet"]
    message = next(h for h in hits if h["kind"] == "message")["snippet"]
    assert "&lt;script&gt;" in message and "&amp;" in message and "&quot;now&quot;" in message
    assert next(h for h in hits if h["kind"] == "conversation")["snippet"].startswith("&lt;img src=x&gt;")


def test_snippet_html_never_emits_other_tags():
    assert service.snippet_html("a \ue000b\ue001 <i>") == "a <mark>b</mark> &lt;i&gt;"
    # Stray or unbalanced delimiters (say, typed by a customer) still give balanced marks and nothing else.
    assert service.snippet_html("\ue001x\ue000\ue000y") == "x<mark>y</mark>"


def test_long_messages_give_a_fragment_around_the_match(client, world):
    words = " ".join(f"word{i}" for i in range(200))
    _msg(client, world, f"{words} the toaster exploded {words}")
    snippet = _hits(client, world, q="toaster", kind="messages")[0]["snippet"]
    assert "<mark>toaster</mark>" in snippet and len(snippet) < 600 and "…" in snippet


INJECTIONS = [
    '"',
    '""',
    'refund"',
    '"refund',
    "NEAR(",
    "NEAR(refund lamp)",
    "refund NEAR lamp",
    "*",
    "refund *",
    "-",
    "-refund",
    "refund -lamp",
    "OR",
    "refund OR lamp",
    "refund AND",
    "NOT refund",
    ":",
    "body_text:refund",
    "messages_fts:refund",
    "^",
    "^refund",
    "refund^2",
    "(refund",
    "refund)",
    "{body_text}: refund",
    "'",
    "refund'; DROP TABLE messages; --",
    "\\",
    "refund\\",
    "%",
    "_",
    "refund & lamp",
    "refund | lamp",
    "!refund",
    "refund <-> lamp",
    "refund:*",
    "refund:A",
    "\x00refund",
    "refund\x00",
    "+",
    "@",
    "…",
    "😀",
    "ref*und",
    "**refund**",
    "½",
    "ﷺ",
    "İstanbul",
    "a\u200bb",
    "ﬁne",
    "x" * 500,
]


# Operators and punctuation around a word are dropped, so these still mean "refund".
FINDS_THE_REFUND = {
    "-refund",
    "(refund",
    "refund)",
    "^refund",
    "!refund",
    "refund:*",
    "**refund**",
    '"refund',
    'refund"',
    "refund *",
    "refund\\",
}


@pytest.mark.parametrize("q", INJECTIONS)
def test_query_syntax_is_never_injected(client, world, q):
    _msg(client, world, "I want a refund for the lamp")
    r = _get(client, world.agent_token, q=q)
    assert r.status_code in (200, 422), (q, r.status_code, r.text)
    if r.status_code == 422:
        assert r.headers["content-type"] == "application/problem+json" and r.json()["detail"]
    if q in FINDS_THE_REFUND:
        assert r.status_code == 200 and [h["kind"] for h in r.json()["items"]] == ["message"], q


def test_empty_long_and_bad_queries_are_clean_422s(client, world):
    for q in ["", "   ", "!!!", '" "', "*", "-:^"]:
        r = _get(client, world.agent_token, q=q)
        assert r.status_code == 422 and "no words" in r.json()["detail"], q
    long = "word " * 101
    r = _get(client, world.agent_token, q=long)
    assert r.status_code == 422 and "MAX_QUERY_CHARS" in r.json()["detail"] and "500" in r.json()["detail"]
    r = _get(client, world.agent_token, q="re*")
    assert r.status_code == 422 and "at least 3 letters" in r.json()["detail"]
    assert _get(client, world.agent_token, q=" ".join(f"w{i}" for i in range(21))).status_code == 422
    assert _get(client, world.agent_token).status_code == 422  # q is required
    assert _get(client, world.agent_token, q="x", kind="tickets").status_code == 422
    assert _get(client, world.agent_token, q="x", status="lost").status_code == 422
    assert _get(client, world.agent_token, q="x", limit=0).status_code == 422
    assert _get(client, world.agent_token, q="x", cursor="nonsense").status_code == 422


def test_stop_words_alone_find_nothing_or_everything_but_never_fail(client, world):
    _msg(client, world, "the order is late")
    r = _get(client, world.agent_token, q="the")
    # PostgreSQL drops English stop words; SQLite indexes every word. Both answer cleanly.
    assert r.status_code == 200
    assert _hits(client, world, q="the late", kind="messages")


def test_permissions(client, world, db):
    with db.write() as s:
        _, inbound_only = agents.create_token(s, SYSTEM, name="in", scopes=["inbound"], agent_id=world.agent.id)
    r = _get(client, inbound_only, q="anything")
    assert r.status_code == 403 and r.json()["scope"] == "read"  # the route's declared scope (web.deps.requires)
    assert _get(client, inbound_only, q="anything", kind="customers").status_code == 403
    assert client.get("/api/v1/search", params={"q": "anything"}).status_code == 401
    assert _get(client, world.readonly_token, q="anything").status_code == 200


def test_merged_conversations_are_left_out_and_their_messages_followed(client, world):
    a = _msg(client, world, "The zeppelin is deflating", address="a@customer.test", subject="Zeppelin")
    b = inbound(client, world.agent_token, world.api_inbox.id, address="a@customer.test", text="hello", subject="B")
    h = World.auth(world.agent_token)
    r = client.post(
        f"/api/v1/conversations/{a['conversation_id']}/merge", json={"into_id": b["conversation_id"]}, headers=h
    )
    assert r.status_code == 200
    hits = {(x["kind"], x["id"], x["conversation_id"]) for x in _hits(client, world, q="zeppelin")}
    assert hits == {("message", a["message_id"], b["conversation_id"])}


def test_cursor_pages_through_ranked_hits(client, world):
    made = {_msg(client, world, f"umbrella number {i}", address=f"u{i}@customer.test")["message_id"] for i in range(5)}
    seen, cursor, pages = [], None, 0
    while True:
        params = {"q": "umbrella", "kind": "messages", "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = _get(client, world.agent_token, **params).json()
        seen += [h["id"] for h in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages == 3 and len(seen) == 5 and set(seen) == made
    first = _get(client, world.agent_token, q="umbrella", kind="messages", limit=2).json()["next_cursor"]
    r = _get(client, world.agent_token, q="parasol", kind="messages", limit=2, cursor=first)
    assert r.status_code == 422 and "cursor" in r.json()["detail"]


def test_service_directly(db, world, client):
    _msg(client, world, "The trampoline spring snapped", subject="Trampoline")
    actor = Actor(kind="agent", id=world.agent.id, role=Role.agent, name="Alex")
    with db.read() as s:
        page = service.search(s, actor, q="trampolines", kinds={"messages", "conversations"}, limit=5)
        assert [h.kind for h in page.items] == ["conversation", "message"] and page.next_cursor is None
        assert service.search(s, actor, q="trampoline", status=["closed"]).items == []
        with pytest.raises(Invalid, match="MAX_QUERY_CHARS"):
            service.search(s, actor, q="x" * (service.MAX_QUERY_CHARS + 1))
        with pytest.raises(Invalid, match="kind"):
            service.search(s, actor, q="x", kinds={"tickets"})


def test_parse_rules():
    assert query.parse('refund "delivery address" ord*') == [
        query.Term("refund", ("refund",)),
        query.Term("delivery address", ("delivery", "address")),
        query.Term("ord", ("ord",), prefix=True),
    ]
    # Operators are words or punctuation, never syntax.
    assert [t.text for t in query.parse('NEAR(a b) OR -c col:d ^e "f')] == ["near a", "b", "or", "c", "col d", "e", "f"]
    assert query.parse("foo-bar jo@x.test") == [
        query.Term("foo-bar", ("foo", "bar")),
        query.Term("jo@x.test", ("jo", "x", "test")),
    ]
    assert query.parse('"open ended"*') == [query.Term("open ended", ("open", "ended"), prefix=True)]
    assert query.parse("refund refund") == [query.Term("refund", ("refund",))]
    with pytest.raises(Invalid, match="no words"):
        query.parse("'\" * - : ^ ()")


def test_a_word_common_in_older_messages_but_absent_lately_is_found_by_a_bounded_walk(db, world, monkeypatch):
    from sqlalchemy import event, text

    from rapport.conversations.inbound import Inbound, receive_inbound
    from rapport.search import repository

    def write(words: str, n: int, offset: int) -> None:
        with db.write() as s:
            for i in range(n):
                address = f"walk{(offset + i) % 7}@customer.test"
                receive_inbound(s, SYSTEM, Inbound(world.email_inbox.id, "email", address, text=f"{words} {i}"))

    write("Kind greetings about my parcel", 120, 0)
    write("Where is my refund", 40, 120)  # the newest messages lack the word
    monkeypatch.setattr(repository, "WALK", 30)
    monkeypatch.setattr(repository, "DEEP_WALK", 400)
    monkeypatch.setattr(repository, "MIN_HITS", 5)
    statements: list[str] = []
    listen = lambda conn, cursor, sql, *args: statements.append(sql)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        with db.read() as s:
            if s.bind.dialect.name == "postgresql":
                s.execute(text("ANALYZE messages"))
            actor = Actor(kind="agent", id=world.agent.id, role=Role.agent, name="Alex")
            page = service.search(s, actor, q="greetings", kinds={"messages"}, limit=10)
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert len(page.items) == 10 and all(h.kind == "message" for h in page.items)
    if db.engine.dialect.name == "postgresql":
        # The deeper walk found them: the unbounded read of every match (`id + 0`, a top-N sort) never ran.
        assert not [sql for sql in statements if "id + 0" in sql]
        assert any(f"LIMIT {400}" in sql for sql in statements)
