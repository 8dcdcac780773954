"""A real Dovecot and an email inbox fetching from it, for the tests of what Rapport downloads over IMAP."""

from tests.channels.email.conftest import dovecot, inbox, mail_user  # noqa: F401 (fixtures)
