"""Rapport's own mail: the job that sends it."""

from rapport.kernel.registry import Domain

DOMAIN = Domain("mail", workers=("rapport.mail.mailer",))
