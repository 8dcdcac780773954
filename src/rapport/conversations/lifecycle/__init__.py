"""The conversation lifecycle: the only writer of status, reopen count, solved/closed, reply and wait times.

`core` is pure (a state and a change in, the new state and its events out); `orm` applies it to a loaded
`Conversation`, `bulk` to the rows of an inbound batch or an import; `merges` follows merged conversations.
"""

from rapport.conversations.lifecycle.core import (
    Change,
    HumanRequested,
    Lifecycle,
    MergedAway,
    Move,
    Noted,
    Received,
    Sent,
    TookIn,
    transition,
)

__all__ = [
    "Change",
    "HumanRequested",
    "Lifecycle",
    "MergedAway",
    "Move",
    "Noted",
    "Received",
    "Sent",
    "TookIn",
    "transition",
]
