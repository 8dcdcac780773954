"""Demo traffic: while the demo is served, customers keep writing in, so its inbox is live from the first minute.

Each message goes through `receive_inbound`, the path every channel uses: it threads into the customer's open
conversation or opens one, records its events and reaches open pages, counts, the board and notifications.
Senders are mostly the demo's own customers on the inbox's channel, sometimes someone new; the wording comes from
the demo's own phrase templates (phrases/), roughened as people type on that channel.
"""

from __future__ import annotations

import logging
import random
import threading
import uuid

from sqlalchemy import func, select

from rapport.conversations.inbound import Inbound, Received, receive_inbound
from rapport.db.session import Database
from rapport.demo import people, phrases
from rapport.kernel.permissions import SYSTEM
from rapport.models import Customer, Identity, Inbox

log = logging.getLogger(__name__)
CHANNELS = ("email", "sms", "whatsapp")  # channels where a customer writes first without a live session
RETURNING = 0.75  # the share of messages from customers the demo already has


class Traffic(threading.Thread):
    """Sends a customer message about every `every` seconds (exponentially spaced, as arrivals are) until stopped."""

    def __init__(self, db: Database, *, every: float, seed: int | None = None):
        super().__init__(name="rapport-demo-traffic", daemon=True)
        self.db, self.every = db, every
        self.rng = random.Random(seed)
        self._stop_event = threading.Event()

    def run(self) -> None:  # noqa: D102
        while not self._stop_event.wait(self.rng.expovariate(1 / self.every)):
            try:
                self.send_one()
            except Exception:  # noqa: BLE001  (a demo's background chatter must never take the server down)
                log.exception("demo traffic: a message could not be sent")

    def stop(self) -> None:
        """Send nothing more."""
        self._stop_event.set()

    def send_one(self) -> Received | None:
        """One customer message into a random email, SMS or WhatsApp inbox; None when the demo has no such inbox."""
        with self.db.read() as session:
            inboxes = session.execute(
                select(Inbox.id, Inbox.channel).where(Inbox.channel.in_(CHANNELS), Inbox.active.is_(True))
            ).all()
            if not inboxes:
                return None
            inbox = self.rng.choice(inboxes)
            known = None
            if self.rng.random() < RETURNING:
                known = session.execute(
                    select(Identity.address, Customer.name)
                    .join(Customer, Customer.id == Identity.customer_id)
                    .where(Identity.kind == inbox.channel, Customer.merged_into_id.is_(None))
                    .order_by(func.random())
                    .limit(1)
                ).first()
        address, name = known or self._newcomer(inbox.channel)
        msg = Inbound(
            inbox_id=inbox.id,
            sender_kind=inbox.channel,
            sender_address=address,
            sender_name=name,
            text=phrases.live_message(self.rng, inbox.channel, name),
            external_id=f"demo-live-{uuid.uuid4()}",
            channel=inbox.channel,
        )
        with self.db.write() as session:
            return receive_inbound(session, SYSTEM, msg)

    def _newcomer(self, channel: str) -> tuple[str, str]:
        first, last = self.rng.choice(people.FIRST), self.rng.choice(people.LAST)
        if channel == "email":
            local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
            return f"{local}.{self.rng.randrange(1000, 9999)}@example.com", f"{first} {last}"
        return f"+1555{self.rng.randrange(10**6, 10**7)}", f"{first} {last}"
