"""Demo conversations as import records: spread over the months before `now`, busier on weekday daytimes.

Each conversation's messages follow its status (a pending one ends with the agent's reply, an open one
with the customer's), replies come after business-hours-ish delays, and nothing happens after `now`.
"""

from __future__ import annotations

import bisect
import random
from datetime import datetime, timedelta

from rapport.demo import phrases, wording
from rapport.demo.org import DEMO_EMAIL, DEMO_NAME, TEAM_OF_CATEGORY, Org
from rapport.demo.phrases import Intent

CHANNELS = ("email", "chat", "phone", "whatsapp", "sms", "portal", "api")
CHANNEL_WEIGHTS = (34, 24, 10, 10, 7, 11, 4)
INBOX_OF = {"chat": "Website chat", "sms": "SMS", "whatsapp": "WhatsApp", "phone": "Phone", "portal": "Customer portal",
            "api": "API"}  # fmt: skip
PRIORITIES = ("low", "normal", "high", "urgent")
PRIORITY_WEIGHTS = (12, 70, 15, 3)
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 3, 6, 10, 12, 12, 11, 10, 11, 11, 10, 9, 7, 5, 4, 3, 2, 2, 1)
AUTO_CLOSE = timedelta(days=4)  # the default RAPPORT_AUTO_CLOSE_AFTER_DAYS: solved turns closed after it
LIVE = ("chat", "phone")
# status mixes by age of the conversation: older ones are done, recent ones still in the queue. A working team
# leaves nothing waiting for months: after three weeks only the odd case waiting on a third party stays open.
STATUS_BY_AGE = (
    (timedelta(days=3), ("done", "open", "pending", "on_hold", "new"), (30, 22, 20, 6, 22)),
    (timedelta(days=12), ("done", "open", "pending", "on_hold", "new"), (70, 8, 12, 6, 4)),
    (timedelta(days=21), ("done", "pending", "on_hold"), (94, 3, 3)),
    (timedelta.max, ("done",), (1,)),
)
# The share of conversations the demo's own user works: enough for "Mine" to be a real queue on the first visit.
DEMO_SHARE = 0.12


class Timeline:
    """Turns a fraction of the way through the volume into a moment: ids then follow time, as in real life."""

    def __init__(self, start: datetime, end: datetime):
        self.start = start.replace(minute=0, second=0, microsecond=0)
        hours = int((end - self.start).total_seconds() // 3600)
        self.total = 0.0
        self.cumulative: list[float] = []
        for hour in range(hours):
            moment = self.start + timedelta(hours=hour)
            weekend = moment.weekday() >= 5
            growth = 1 + 0.3 * hour / max(hours, 1)  # the business grows a little over the months
            self.total += HOUR_WEIGHTS[moment.hour] * (0.35 if weekend else 1.0) * growth
            self.cumulative.append(self.total)

    def at(self, fraction: float, rng: random.Random) -> datetime:
        """The moment `fraction` (0..1) of the way through the weighted volume."""
        hour = min(bisect.bisect_left(self.cumulative, fraction * self.total), len(self.cumulative) - 1)
        return self.start + timedelta(hours=hour, seconds=rng.randrange(3600))


def _business(moment: datetime, rng: random.Random) -> datetime:
    """The first moment at or after `moment` inside weekday working hours (08:00-18:00 UTC)."""
    if moment.weekday() < 5 and 8 <= moment.hour < 18:
        return moment
    day = moment if moment.hour < 8 else moment + timedelta(days=1)
    day = day.replace(hour=8, minute=0, second=0, microsecond=0)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day + timedelta(seconds=rng.randrange(300, 5400))


def _agent_delay(channel: str, priority: str, rng: random.Random) -> timedelta:
    if channel in LIVE:
        return timedelta(seconds=rng.randrange(20, 600))
    minutes = rng.lognormvariate(4.2, 1.0)  # median ~67 minutes, a long tail into hours
    if priority in ("high", "urgent"):
        minutes /= 3
    return timedelta(seconds=int(60 * min(minutes, 3 * 24 * 60)))


def _customer_delay(channel: str, rng: random.Random) -> timedelta:
    if channel in LIVE:
        return timedelta(seconds=rng.randrange(15, 300))
    return timedelta(seconds=int(60 * min(rng.lognormvariate(5.0, 1.3), 5 * 24 * 60)))  # median ~2.5 hours


def _directions(status: str, count: int, rng: random.Random) -> list[str]:
    """The message directions (without notes) that end the way `status` needs."""
    if status == "new":
        return ["inbound"] * max(1, min(count, 2))  # the steering below can ask for none: a conversation has one
    count = max(count, 3 if status == "open" else 2)
    directions = ["inbound" if i % 2 == 0 else "outbound" for i in range(count)]
    last = "inbound" if status == "open" else "outbound"
    if directions[-1] != last:
        directions.append(last)
    if status == "done" and rng.random() < 0.35:
        directions.append("inbound")  # the customer's thanks after the fix
    return directions


class ConversationMaker:
    """Makes conversation records one at a time, from a shared random stream."""

    def __init__(self, rng: random.Random, org: Org, intents: list[Intent], avg_messages: float, now: datetime):
        self.rng, self.org, self.intents, self.now = rng, org, intents, now
        self.average = avg_messages
        self.extra = max(avg_messages - 1.95, 0.05)  # the shape below adds ~2 messages on average by itself
        self.balance = 0.0  # messages asked for minus messages made so far: steers the total to the target

    def make(self, number: int, created: datetime) -> dict:
        """Conversation `number`, opened at `created`."""
        rng = self.rng
        channel = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
        customer, via = self._customer(channel)
        intent = rng.choice(self.intents)
        team = TEAM_OF_CATEGORY.get(intent.category, "Customer Care")
        members = self.org.members[team]
        agent_email, agent_first = (
            (DEMO_EMAIL, DEMO_NAME.split()[0]) if rng.random() < DEMO_SHARE else rng.choice(members)
        )
        order = f"#{rng.randrange(100_000, 1_000_000)}"
        priority = rng.choices(PRIORITIES, PRIORITY_WEIGHTS)[0]
        if customer.vip or intent.name in ("complaint", "payment_issue"):
            priority = {"low": "normal", "normal": "high"}.get(priority, priority)
        age = self.now - created
        for limit, statuses, weights in STATUS_BY_AGE:
            if age <= limit:
                status = rng.choices(statuses, weights)[0]
                break
        count = 1 + int(rng.expovariate(1 / self.extra) + 0.5) + max(-2, min(2, round(self.balance / 4)))
        fill = {"name": customer.first, "agent": agent_first, "order": order}
        messages, last_out = self._messages(channel, priority, intent, status, count, created, agent_email, fill)
        status, solved, closed = self._finish(status, messages, last_out)
        self.balance += self.average - len(messages)
        tags = [intent.name.replace("_", "-")]
        if customer.vip:
            tags.append("vip")
        if rng.random() < 0.06:
            tags.append("escalated")
        if channel == "phone" and rng.random() < 0.25:
            tags.append("callback-requested")
        subject = rng.choice(wording.SUBJECTS.get(intent.name, ("Question",))).format(order=order)
        inbox = (
            ("Billing email" if team == "Billing & Payments" else "Support email")
            if channel == "email"
            else INBOX_OF[channel]
        )
        record = {
            "type": "conversation",
            "ref": f"demo-{number:07d}",
            "customer": via,
            "inbox": inbox,
            "subject": subject,
            "status": status,
            "priority": priority,
            "assignee": None if status == "new" and rng.random() < 0.8 else agent_email,
            "team": team,
            "category": intent.category.lower(),
            "tags": tags,
            "created_at": created.isoformat(),
            "messages": messages,
        }
        if solved is not None:
            record["solved_at"] = solved.isoformat()
        if closed is not None:
            record["closed_at"] = closed.isoformat()
        return record

    def _customer(self, channel: str):
        org, rng = self.org, self.rng
        # A few customers write often, most rarely: skew the pick toward the front of each list.
        pool = org.with_whatsapp if channel == "whatsapp" else org.with_phone if channel in ("sms", "phone") else None
        if pool:
            customer = org.customers[pool[int(len(pool) * rng.random() ** 1.6)]]
            address = customer.whatsapp if channel == "whatsapp" else customer.phone
            return customer, f"{'whatsapp' if channel == 'whatsapp' else 'phone'}:{address}"
        customer = org.customers[int(len(org.customers) * rng.random() ** 1.6)]
        return customer, f"email:{customer.email}"

    def _messages(self, channel, priority, intent, status, count, created, agent, fill):
        rng, now = self.rng, self.now
        directions = _directions(status, count, rng)
        messages: list[dict] = []
        moment = created
        last_out = None
        replied = False
        for index, direction in enumerate(directions):
            if index:
                if direction == "outbound":
                    moment += _agent_delay(channel, priority, rng)
                    if channel not in LIVE:
                        moment = _business(moment, rng)
                else:
                    moment += _customer_delay(channel, rng)
            if moment >= now:
                break
            if direction == "inbound":
                text = self._inbound(channel, intent, index, index == len(directions) - 1 and replied, fill)
                messages.append({"direction": "inbound", "text": text, "created_at": moment.isoformat()})
            else:
                text = self._outbound(channel, intent, replied, fill)
                messages.append(
                    {"direction": "outbound", "author": agent, "text": text, "created_at": moment.isoformat()}
                )
                replied, last_out = True, moment
            if index == 0 and rng.random() < 0.12:
                note_at = moment + timedelta(minutes=rng.randrange(2, 40))
                if note_at < now:
                    note = rng.choice(wording.NOTES).format(**fill)
                    messages.append(
                        {"direction": "note", "author": agent, "text": note, "created_at": note_at.isoformat()}
                    )
        if status == "on_hold" and last_out is not None and last_out + timedelta(minutes=5) < now:
            hold = rng.choice(wording.HOLD_NOTES).format(**fill)
            at = (last_out + timedelta(minutes=5)).isoformat()
            messages.append({"direction": "note", "author": agent, "text": hold, "created_at": at})
        if len(messages) > 2 and channel not in LIVE and rng.random() < 0.05:
            # Now and then the customer chases it up on the chat: one history across channels.
            later = [m for m in messages[1:] if m["direction"] == "inbound"]
            if later:
                later[-1]["channel"] = "chat"
        return messages, last_out

    def _inbound(self, channel: str, intent: Intent, index: int, closing: bool, fill: dict) -> str:
        rng = self.rng
        if closing and rng.random() < 0.8:
            return phrases.written(rng, rng.choice(wording.THANKS).format(**fill), channel, fill["name"])
        if index == 0 or rng.random() < 0.3:
            return phrases.first_message(rng, intent, channel, fill)
        return phrases.written(rng, rng.choice(wording.FOLLOW_UPS).format(**fill), channel, fill["name"])

    def _outbound(self, channel: str, intent: Intent, replied: bool, fill: dict) -> str:
        rng = self.rng
        options = wording.REPLIES.get(intent.name)
        # A later reply is often a check-in rather than another answer.
        later = (replied and rng.random() < 0.5) or not options
        text = rng.choice(wording.CHECK_INS if later else options).format(**fill)
        if channel in ("email", "portal"):
            text += rng.choice(wording.SIGN_OFF).format(**fill)
        elif channel == "phone":
            text = f"Call notes: {text}"
        return text

    def _finish(self, status: str, messages: list[dict], last_out: datetime | None):
        """The final status, and when it was solved and closed, consistent with the messages that happened."""
        last = messages[-1]["direction"] if messages else "inbound"
        if status == "new":
            return "new", None, None
        if status == "done" and last_out is not None:
            solved = datetime.fromisoformat(messages[-1]["created_at"]) + timedelta(
                seconds=self.rng.randrange(60, 1800)
            )
            if solved < self.now:
                closed = solved + AUTO_CLOSE
                return ("closed", solved, closed) if closed < self.now else ("solved", solved, None)
        if last_out is None:
            return "new", None, None
        if status == "on_hold":
            return "on_hold", None, None
        return ("open" if last == "inbound" else "pending"), None, None
