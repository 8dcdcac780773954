"""The supervisor board as plain data (queues, the human queue, the longest waits, agents' load) and reassigning."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import Row
from sqlalchemy.orm import Session

from rapport.config import get_settings
from rapport.conversations import service as conversations
from rapport.kernel.permissions import Actor, authorize
from rapport.kit.clock import now
from rapport.kit.problems import Invalid
from rapport.playbooks import service as playbooks
from rapport.routing.wait import Wait, expected_wait
from rapport.sla import repository as clocks
from rapport.supervision import repository

# Online agents first: they are the ones who can take work now.
AVAILABILITY_ORDER = {"online": 0, "away": 1, "offline": 2}


@dataclass(frozen=True)
class Queue:
    """One inbox on one channel: its open work, how much of it waits for an answer and since when, unassigned."""

    inbox_id: int
    inbox: str
    channel: str
    active: int = 0
    waiting: int = 0
    unassigned: int = 0
    oldest_waiting: datetime | None = None
    breached: int = 0
    due_soon: int = 0


@dataclass(frozen=True)
class TeamTargets:
    """A team's active conversations with a breached service target, and those about to breach (team_id None: no
    team)."""

    team_id: int | None
    team: str
    breached: int
    due_soon: int


@dataclass(frozen=True)
class AgentLoad:
    """An agent's availability and active conversations assigned to them, per channel."""

    id: int
    name: str
    role: str
    availability: str
    load: dict[str, int]

    @property
    def total(self) -> int:
        """Active conversations assigned, all channels."""
        return sum(self.load.values())


@dataclass(frozen=True)
class Totals:
    """The headline figures above the board."""

    waiting: int
    oldest_waiting: datetime | None
    unassigned: int
    human: int
    online: int
    agents: int
    breached: int = 0
    due_soon: int = 0


@dataclass
class Board:
    """Everything `/supervisor` shows, as plain data."""

    totals: Totals
    queues: list[Queue]
    agents: list[AgentLoad]
    human: list[Row]
    waiting: list[Row]
    wait: Wait
    teams: list[Row]
    rows: int
    errors: dict = field(default_factory=dict)
    targets: list[TeamTargets] = field(default_factory=list)
    # Open overdue playbook steps: {"count", "more", "items"} (playbooks.service.overdue).
    playbooks: dict = field(default_factory=lambda: {"count": 0, "more": False, "items": []})


def board(session: Session, actor: Actor) -> Board:
    """The live board: queues per inbox and channel, the human queue, the longest waits and each agent's load."""
    authorize(actor, "supervisor.console")
    rows = get_settings().supervisor_board_rows
    groups = repository.load(session)
    risk = clocks.at_risk(session, now())
    queues = _with_targets(_queues(groups, repository.inboxes(session)), risk)
    teams = repository.teams(session)
    agents = _agents(groups, repository.agents(session))
    human_total = repository.human_queue_size(session)
    oldest = [q.oldest_waiting for q in queues if q.oldest_waiting is not None]
    totals = Totals(
        waiting=sum(q.waiting for q in queues),
        oldest_waiting=min(oldest) if oldest else None,
        unassigned=sum(q.unassigned for q in queues),
        human=human_total,
        online=sum(1 for a in agents if a.availability == "online"),
        agents=len(agents),
        breached=sum(r.breached for r in risk),
        due_soon=sum(r.due_soon for r in risk),
    )
    return Board(
        totals=totals,
        queues=queues,
        agents=agents,
        human=repository.human_queue(session, limit=rows),
        waiting=repository.oldest_waiting(session, limit=rows),
        wait=expected_wait(session),
        teams=teams,
        rows=rows,
        targets=_team_targets(risk, teams),
        playbooks=playbooks.overdue(session, actor, limit=rows),
    )


def _with_targets(queues: list[Queue], risk: list[Row]) -> list[Queue]:
    """Each queue with its conversations breached and about to breach (sla.repository.at_risk)."""
    late: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for r in risk:
        late[(r.inbox_id, r.channel)][0] += r.breached
        late[(r.inbox_id, r.channel)][1] += r.due_soon
    return [
        replace(q, breached=late[k][0], due_soon=late[k][1]) if (k := (q.inbox_id, q.channel)) in late else q
        for q in queues
    ]


def _team_targets(risk: list[Row], teams: list[Row]) -> list[TeamTargets]:
    """Breached and about to breach per team, the most breached first; teams with neither are left out."""
    names = {t.id: t.name for t in teams}
    sums: dict[int | None, list[int]] = defaultdict(lambda: [0, 0])
    for r in risk:
        sums[r.team_id][0] += r.breached
        sums[r.team_id][1] += r.due_soon
    out = [
        TeamTargets(team_id, names.get(team_id, "No team") if team_id else "No team", b, s)
        for team_id, (b, s) in sums.items()
    ]
    return sorted(out, key=lambda t: (-t.breached, -t.due_soon, t.team.lower()))


@dataclass
class _Tally:
    """Running sums of one queue while the groups are folded."""

    active: int = 0
    waiting: int = 0
    unassigned: int = 0
    oldest: datetime | None = None

    def add(self, group: Row) -> None:
        self.active += group.active
        self.waiting += group.waiting or 0
        self.unassigned += group.active if group.assignee_id is None else 0
        if group.oldest_waiting is not None and (self.oldest is None or group.oldest_waiting < self.oldest):
            self.oldest = group.oldest_waiting


def _queues(groups: list[Row], inboxes: list[Row]) -> list[Queue]:
    """Fold (inbox, channel, assignee) groups into one row per inbox and channel; every active inbox has a row."""
    names = {i.id: i.name for i in inboxes}
    tallies = {(i.id, i.channel): _Tally() for i in inboxes if i.active}
    for g in groups:
        tallies.setdefault((g.inbox_id, g.channel), _Tally()).add(g)
    out = [
        Queue(inbox_id, names.get(inbox_id, f"Inbox {inbox_id}"), channel, t.active, t.waiting, t.unassigned, t.oldest)
        for (inbox_id, channel), t in tallies.items()
    ]
    # The longest wait first (the queue that needs help), then the idle queues by name.
    return sorted(out, key=lambda q: (q.oldest_waiting.timestamp() if q.oldest_waiting else float("inf"), q.inbox))


def _agents(groups: list[Row], people: list[Row]) -> list[AgentLoad]:
    """Each active agent with their load per channel, online first, then by name."""
    load: dict[int, dict[str, int]] = defaultdict(dict)
    for g in groups:
        if g.assignee_id is not None:
            load[g.assignee_id][g.channel] = load[g.assignee_id].get(g.channel, 0) + g.active
    out = [AgentLoad(p.id, p.name, p.role, p.availability, dict(sorted(load[p.id].items()))) for p in people]
    return sorted(out, key=lambda a: (AVAILABILITY_ORDER.get(a.availability, 3), a.name.lower(), a.id))


def reassign(session: Session, actor: Actor, conversation_id: int, *, to: str) -> str:
    """Give a conversation to an agent (`agent:<id>`) or hand it to a team, unassigned (`team:<id>`); a notice."""
    authorize(actor, "supervisor.console")
    authorize(actor, "conversations.assign_others")
    kind, _, raw = (to or "").partition(":")
    if kind not in ("agent", "team") or not raw.isdigit():
        raise Invalid("Choose an agent or a team to assign it to.", errors=[{"field": "to"}])
    if kind == "agent":
        changes = conversations.Changes(assignee_id=int(raw))
    else:
        changes = conversations.Changes(team_id=int(raw), assignee_id=None)
    conversations.update(session, actor, conversation_id, changes)  # checks the agent or team exists
    if kind == "agent":
        return f"Assigned conversation #{conversation_id} to {repository.agent_name(session, int(raw))}."
    return f"Handed conversation #{conversation_id} to the team {repository.team_name(session, int(raw))}, unassigned."
