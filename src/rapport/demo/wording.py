"""What the demo's people write: subjects and agent replies per intent, follow-ups, internal notes.

Customers' opening wording comes from phrases/ (templates per intent, with noise); the agent side is written
here, with placeholders {name} (customer's first name), {agent} (agent's first name) and {order} (an order number).
"""

from __future__ import annotations

SUBJECTS: dict[str, tuple[str, ...]] = {
    "cancel_order": ("Cancel my order", "Order cancellation request", "Please cancel order {order}"),
    "change_order": ("Change to my order", "Can I still change order {order}?", "Wrong item in my order"),
    "change_shipping_address": ("Change delivery address", "Wrong shipping address on {order}"),
    "check_cancellation_fee": ("Cancellation fee?", "Question about early termination fee"),
    "check_invoice": ("Question about my invoice", "Invoice for order {order}", "Charge on my invoice"),
    "check_payment_methods": ("Payment options", "Which payment methods do you accept?"),
    "check_refund_policy": ("Refund policy", "Can I get my money back?"),
    "complaint": ("Complaint", "Very disappointed", "Not happy with the service"),
    "contact_customer_service": ("Need help", "How do I reach customer service?"),
    "contact_human_agent": ("Talk to a person please", "I want to speak to someone"),
    "create_account": ("New account", "Help creating an account"),
    "delete_account": ("Close my account", "Delete my account and data"),
    "delivery_options": ("Delivery options", "Express shipping?"),
    "delivery_period": ("When will my order arrive?", "Delivery time for {order}"),
    "edit_account": ("Update my details", "Change account information"),
    "get_invoice": ("Invoice request", "Please send invoice for {order}"),
    "get_refund": ("Refund request", "Refund for order {order}", "I want a refund"),
    "newsletter_subscription": ("Newsletter", "Unsubscribe me", "Subscribe to newsletter"),
    "payment_issue": ("Payment failed", "Problem paying for {order}", "Card declined"),
    "place_order": ("Help placing an order", "Cannot complete checkout"),
    "recover_password": ("Password reset", "Locked out of my account"),
    "registration_problems": ("Cannot sign up", "Registration error"),
    "review": ("Feedback", "A review of my experience"),
    "set_up_shipping_address": ("Add a shipping address", "Set up a new delivery address"),
    "switch_account": ("Switch account", "Move to another plan"),
    "track_order": ("Where is my order?", "Tracking for {order}", "Order {order} status"),
    "track_refund": ("Refund status", "Still waiting for my refund", "Where is my refund for {order}?"),
}

REPLIES: dict[str, tuple[str, ...]] = {
    "cancel_order": (
        "Hi {name}, I've cancelled order {order} for you. You'll get a confirmation email shortly and any "
        "payment will be returned to the original method within 3-5 business days.",
        "Hello {name}, order {order} had already left our warehouse, so I can't cancel it, but once it arrives "
        "you can return it free of charge. I've emailed you a prepaid label.",
    ),
    "change_order": (
        "Hi {name}, I've updated order {order} with the changes you asked for. The new total is in your account.",
        "Hello {name}, order {order} is already being packed. Could you tell me exactly what you'd like to change "
        "and I'll check with the warehouse right away?",
    ),
    "change_shipping_address": (
        "Hi {name}, the delivery address for {order} is updated. The carrier has the new address too.",
        "Hello {name}, could you confirm the full new address including the postcode? Then I'll update {order}.",
    ),
    "check_cancellation_fee": (
        "Hi {name}, there's no cancellation fee within the first 14 days. After that the fee is one month's "
        "subscription, which I'm happy to explain in detail.",
        "Hello {name}, I've checked your plan: cancelling now would cost nothing, as you're past the minimum term.",
    ),
    "check_invoice": (
        "Hi {name}, the charge on your invoice for {order} is the annual plan renewal. I've attached a breakdown.",
        "Hello {name}, I see what happened: the invoice included shipping twice. I've corrected it and sent a new one.",
    ),
    "check_payment_methods": (
        "Hi {name}, we accept all major cards, PayPal, bank transfer and Apple Pay. Invoices are available for "
        "business accounts.",
    ),
    "check_refund_policy": (
        "Hi {name}, you can return any item within 30 days for a full refund. Opened software can be refunded "
        "within 14 days.",
        "Hello {name}, our refund policy is on the help centre, but in short: 30 days, no questions asked.",
    ),
    "complaint": (
        "Hi {name}, I'm really sorry about this experience. That is not the service we want to give. I've "
        "passed this to my supervisor and added a credit to your account as an apology.",
        "Hello {name}, thank you for telling us. I understand how frustrating this must be. I've looked into "
        "what went wrong and we're changing how we handle this.",
    ),
    "contact_customer_service": (
        "Hi {name}, you've reached us! We're here Monday to Friday, 8:00-18:00. How can I help?",
    ),
    "contact_human_agent": (
        "Hi {name}, this is {agent}, a real person :) What can I do for you?",
        "Hello {name}, I'm {agent} from the support team. I've read your message; let's sort this out.",
    ),
    "create_account": (
        "Hi {name}, I've sent you an invitation link to create your account. It's valid for 24 hours.",
        "Hello {name}, you can sign up on our website in two minutes. If anything fails, send me a screenshot.",
    ),
    "delete_account": (
        "Hi {name}, I've started the deletion of your account. All personal data will be removed within 30 days, "
        "as required by law.",
        "Hello {name}, before I delete the account: you still have an open order {order}. Shall I cancel it too?",
    ),
    "delivery_options": (
        "Hi {name}, we offer standard (3-5 days), express (next day) and pick-up at one of 2,000 points.",
    ),
    "delivery_period": (
        "Hi {name}, order {order} should arrive within 2 business days. I've sent you the tracking link.",
        "Hello {name}, there's a delay at the carrier; {order} is now expected on Friday. Sorry for the wait.",
    ),
    "edit_account": (
        "Hi {name}, I've updated your details. You can also change them yourself under Settings > Profile.",
    ),
    "get_invoice": (
        "Hi {name}, I've attached the invoice for {order}. You can download all invoices from your account.",
        "Hello {name}, the invoice for {order} is on its way to your email address.",
    ),
    "get_refund": (
        "Hi {name}, I've issued a full refund for {order}. It will show on your statement within 5 business days.",
        "Hello {name}, I can refund {order} once we receive the item back. Here is your return label.",
    ),
    "newsletter_subscription": (
        "Hi {name}, done! You'll no longer receive our newsletter.",
        "Hello {name}, you're subscribed. The next issue comes out on Thursday.",
    ),
    "payment_issue": (
        "Hi {name}, the payment for {order} was declined by your bank. Could you try again or use another card?",
        "Hello {name}, I see the payment went through twice. I've refunded the duplicate charge.",
    ),
    "place_order": (
        "Hi {name}, I've placed the order for you as {order}. You'll get a confirmation shortly.",
        "Hello {name}, checkout had a problem this morning; it's fixed now. Could you try again?",
    ),
    "recover_password": (
        "Hi {name}, I've sent a password reset link to your email. It expires in one hour.",
        "Hello {name}, your account was locked after too many attempts. I've unlocked it; please reset your password.",
    ),
    "registration_problems": (
        "Hi {name}, thanks for reporting this. The sign-up form had a bug for some browsers; it's fixed now.",
        "Hello {name}, could you send me a screenshot of the error? Then I can find out what's wrong.",
    ),
    "review": (
        "Hi {name}, thank you so much for the kind words! I've shared them with the team.",
        "Hello {name}, thanks for the honest feedback. I've passed it to our product team.",
    ),
    "set_up_shipping_address": ("Hi {name}, the new address is saved in your account and set as default.",),
    "switch_account": (
        "Hi {name}, I've switched your plan. The change takes effect at the next billing date.",
        "Hello {name}, switching is possible any time. Which plan would you like to move to?",
    ),
    "track_order": (
        "Hi {name}, order {order} is with the carrier and out for delivery today.",
        "Hello {name}, {order} left our warehouse yesterday; here is the tracking link.",
    ),
    "track_refund": (
        "Hi {name}, the refund for {order} was sent on Monday. Banks usually take 3-5 days to show it.",
        "Hello {name}, I see the refund for {order} is still pending approval. I've escalated it.",
    ),
}

SIGN_OFF = ("\n\nBest regards,\n{agent}", "\n\nKind regards,\n{agent}", "\n\nThanks,\n{agent}", "")

FOLLOW_UPS = (
    "Any update on this?",
    "I still haven't heard back, can you check please?",
    "Thanks, but it still doesn't work.",
    "I've sent you the details you asked for.",
    "Order number is {order}.",
    "Could you please hurry, I need this sorted today.",
    "Ok, what do I need to do next?",
    "It's been three days now.",
)

THANKS = (
    "Thank you, that worked!",
    "Great, thanks a lot.",
    "Perfect, thank you for the quick help.",
    "Thanks {agent}, all sorted.",
    "Ok thanks.",
)

CHECK_INS = (
    "Hi {name}, just checking whether everything is sorted now?",
    "Hello {name}, did that solve it for you?",
    "Hi {name}, I'm following up on your request. Anything else I can do?",
)

NOTES = (
    "Checked the order history: {order} was shipped on time, the carrier is late.",
    "Customer called twice about this already. Please handle with care.",
    "Asked billing to approve a goodwill credit.",
    "Waiting on the warehouse to confirm stock for {order}.",
    "Escalated to the supervisor: refund above my authority limit.",
    "Known issue, linked to the incident from this morning.",
    "VIP customer, offered priority shipping for free.",
)

HOLD_NOTES = (
    "On hold: waiting for the carrier's investigation of {order}.",
    "On hold: waiting for the payment provider to confirm the chargeback.",
    "On hold: the warehouse is checking stock for {order}.",
)
