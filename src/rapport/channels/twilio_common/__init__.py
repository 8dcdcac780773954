"""Plumbing shared by the Twilio channels (SMS and voice): inbox settings, webhook signatures, the REST client."""
