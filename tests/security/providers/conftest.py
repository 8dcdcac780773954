"""The fakes of Twilio and Meta's Graph API and their inboxes, for the tests of URLs those providers hand over."""

from tests.channels.twilio.conftest import fake_twilio, settings, sms_inbox  # noqa: F401 (fixtures)
from tests.channels.whatsapp.conftest import graph, wa_inbox  # noqa: F401 (fixtures)
