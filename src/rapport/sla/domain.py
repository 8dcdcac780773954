"""Service targets: policies, the clocks they run on conversations, the due-time job and re-evaluation."""

from rapport.kernel.registry import Domain

DOMAIN = Domain(
    "sla",
    workers=("rapport.sla.due", "rapport.sla.reevaluate"),
    lifecycle_hooks=("rapport.sla.lifecycle",),
)
