"""Rapport's own mail (sign-in and invitation links, verification codes), sent by a job after the commit."""
