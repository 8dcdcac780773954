"""The customer portal: a public web form and signed-in customers' own conversations (channel `portal`).

Portal messages are read inside Rapport, so replies need no sender: `portal` is an in-app channel that the
messages.deliver job marks delivered on commit.
"""

from rapport.channels.portal.views import router
from rapport.kernel.channels import Adapter, register

register(Adapter("portal"))

__all__ = ["router"]
