"""All ORM classes, one module per aggregate; importing this package registers every table."""

from rapport.models.agents import Agent, AgentSession, ApiToken, Team, agent_teams
from rapport.models.conversations import Attachment, Conversation, ConversationTag, Message
from rapport.models.customers import Customer, Identity
from rapport.models.email import EmailMailbox, EmailReceipt
from rapport.models.events import Event
from rapport.models.fields import FieldDefinition
from rapport.models.inboxes import Inbox
from rapport.models.jobs import IdempotencyKey, Job

__all__ = [
    "Agent",
    "AgentSession",
    "ApiToken",
    "Attachment",
    "Conversation",
    "ConversationTag",
    "Customer",
    "EmailMailbox",
    "EmailReceipt",
    "Event",
    "FieldDefinition",
    "IdempotencyKey",
    "Identity",
    "Inbox",
    "Job",
    "Message",
    "Team",
    "agent_teams",
]
