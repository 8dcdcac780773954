"""All ORM classes, one module per aggregate; importing this package registers every table."""

from rapport.models.agents import Agent, AgentSession, ApiToken, Team, agent_teams
from rapport.models.calendars import BusinessCalendar, CalendarVersion
from rapport.models.categories import Category
from rapport.models.chat import ChatVerification, ChatVisitor
from rapport.models.consumers import EventCursor, EventDeadLetter
from rapport.models.conversations import Attachment, Conversation, ConversationTag, Message
from rapport.models.customers import Customer, Identity
from rapport.models.deferred import DeferredIndex
from rapport.models.email import EmailMailbox, EmailReceipt
from rapport.models.events import Event
from rapport.models.fields import FieldDefinition
from rapport.models.inboxes import Inbox
from rapport.models.jobs import IdempotencyKey, Job, PeriodicRun
from rapport.models.macros import Macro, MacroUsage
from rapport.models.notifications import Notification
from rapport.models.playbooks import PlaybookRun, PlaybookStep, PlaybookTemplate, PlaybookVersion
from rapport.models.recognition import Attribution, FollowUp, Kudos
from rapport.models.routing import AgentRouting, ConversationRouting, RoutingSetting, RoutingSkill
from rapport.models.rules import Rule, RuleCaused, RuleRun, RuleTally, RuleVersion
from rapport.models.sla import SlaClock, SlaPolicy, SlaPolicyVersion
from rapport.models.surveys import Survey, SurveyAnswer, SurveyHold, SurveyRequest, SurveyVersion
from rapport.models.twilio import Callback
from rapport.models.web import LoginAttempt, RateHit, SavedView
from rapport.models.webhooks import WebhookDelivery, WebhookEndpoint
from rapport.models.whatsapp import PortalLink, PortalSession, WhatsAppStatus

__all__ = [
    "Agent",
    "Attribution",
    "FollowUp",
    "Kudos",
    "AgentRouting",
    "ConversationRouting",
    "RoutingSetting",
    "RoutingSkill",
    "AgentSession",
    "ApiToken",
    "BusinessCalendar",
    "CalendarVersion",
    "Attachment",
    "Callback",
    "Category",
    "ChatVerification",
    "ChatVisitor",
    "Conversation",
    "ConversationTag",
    "Customer",
    "DeferredIndex",
    "EmailMailbox",
    "EmailReceipt",
    "Event",
    "EventCursor",
    "EventDeadLetter",
    "FieldDefinition",
    "IdempotencyKey",
    "Identity",
    "Inbox",
    "Job",
    "PeriodicRun",
    "PlaybookRun",
    "PlaybookStep",
    "PlaybookTemplate",
    "PlaybookVersion",
    "LoginAttempt",
    "Macro",
    "MacroUsage",
    "Message",
    "Notification",
    "PortalLink",
    "PortalSession",
    "RateHit",
    "Rule",
    "RuleCaused",
    "RuleRun",
    "RuleTally",
    "RuleVersion",
    "SavedView",
    "SlaClock",
    "SlaPolicy",
    "SlaPolicyVersion",
    "Survey",
    "SurveyAnswer",
    "SurveyHold",
    "SurveyRequest",
    "SurveyVersion",
    "Team",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WhatsAppStatus",
    "agent_teams",
]
