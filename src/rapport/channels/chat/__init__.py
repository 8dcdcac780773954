"""The web chat channel: an embeddable widget, anonymous visitors, live replies over SSE.

Chat is an in-app channel: replies are read inside Rapport (history and the live stream), so no sender is
registered; `messages.deliver` marks a chat reply delivered on commit (conversations.tasks.IN_APP).
"""

from fastapi import APIRouter

from rapport.channels.chat import api, views
from rapport.channels.chat import settings as _settings
from rapport.kernel.channels import Adapter, register

register(Adapter("chat", check=_settings.check, status=_settings.status))

router = APIRouter()
router.include_router(api.router)
router.include_router(views.router)
