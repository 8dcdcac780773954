"""Customers' first messages about accounts, payments, invoices, fees, contact, feedback and the newsletter.

Written for the demo; slots in braces are filled by `slots.Filler`.
"""

from __future__ import annotations

# intent -> (category, templates)
TEMPLATES: dict[str, tuple[str, tuple[str, ...]]] = {
    "create_account": (
        "ACCOUNT",
        (
            "I'd like to open an account for our small business. What do I need?",
            "The sign-up page asks for a company number. I'm a private customer, can I skip that?",
            "Can I make an account for {relation} as well, or does everyone need their own email?",
            "how do i make an account? only see guest checkout",
            "I want an account so I can see my old orders. I've bought as a guest before.",
            "Is it possible to register with my phone number rather than an email address?",
        ),
    ),
    "delete_account": (
        "ACCOUNT",
        (
            "Please remove my account and everything you store about me.",
            "I don't use your shop anymore and want my profile deleted, including my saved card.",
            "How do I close my account for good? I can't find the option anywhere.",
            "Under GDPR I'm asking you to erase my personal data. My account email is the one I'm writing from.",
            "delete my account pls. too many emails",
            "My late father had an account with you. How can the family close it?",
        ),
    ),
    "edit_account": (
        "ACCOUNT",
        (
            "I got married and need to change the surname on my account.",
            "How do I update the phone number on my profile? The old one doesn't exist anymore.",
            "I want to change the email address I sign in with.",
            "The date of birth on my account is wrong and I can't edit it myself.",
            "can you change my account name, it's spelled wrong",
            "Where can I turn off the text message alerts in my account settings?",
        ),
    ),
    "recover_password": (
        "ACCOUNT",
        (
            "I forgot my password and the reset email never arrives. I checked spam too.",
            "Locked out after too many tries. Can you unlock my account?",
            "The reset link says it has expired, even though I clicked it right away.",
            "I can't log in: it says my password is wrong but I just changed it {when}.",
            "password reset isn't working on my phone, I keep going in circles",
            "I no longer have access to the email on my account, so I can't reset the password. Help?",
        ),
    ),
    "registration_problems": (
        "ACCOUNT",
        (
            "The sign-up form says my email is already in use, but I've never had an account.",
            "I never got the confirmation email after registering. How do I activate the account?",
            "Registration fails at the last step with 'something went wrong'. Tried two browsers.",
            "I can't register because the form doesn't accept my postcode in {place}.",
            "signup captcha keeps failing, cannot make an account",
            "Your site won't accept a password with a space in it. Is that on purpose?",
        ),
    ),
    "switch_account": (
        "ACCOUNT",
        (
            "I'd like to move from the {plan} plan to the {plan} plan. How does that work?",
            "Can I merge my two accounts? I have one for work and one private.",
            "We want to switch our team to the business plan. Do we keep our order history?",
            "How do I downgrade to the free plan at the end of this month?",
            "want to change to the {plan} subscription, where do i do that",
            "Can I transfer my account to {relation}? I'm moving abroad.",
        ),
    ),
    "check_payment_methods": (
        "PAYMENT",
        (
            "Do you accept PayPal? I don't want to enter my card details.",
            "Can I pay by bank transfer for orders over {amount}?",
            "Is paying in instalments possible for the {product}?",
            "Which cards do you take? My {card} was not on the list.",
            "can i pay with apple pay on the website",
            "Do you offer invoices with 30 days to pay for business customers?",
        ),
    ),
    "payment_issue": (
        "PAYMENT",
        (
            "My payment was declined but the money has left my account. What happened?",
            "I was charged {amount} twice for the same order {order}.",
            "The payment page freezes after I enter my {card}. Order won't go through.",
            "Your site says my card is invalid but it works everywhere else.",
            "I see a charge of {amount} from you that I don't recognise.",
            "payment failed 3 times and now my bank blocked the card. not happy",
            "The voucher code didn't apply and I paid {amount} too much.",
        ),
    ),
    "check_invoice": (
        "INVOICE",
        (
            "The invoice for {order} shows a different amount than I paid. Can you explain?",
            "There's a line on invoice {invoice} I don't understand: 'handling fee'. What is it?",
            "Why is VAT charged on my invoice when we're a registered business?",
            "My invoice {invoice} has the wrong company name. Our finance team needs it corrected.",
            "can you explain the charges on my last bill, looks too high",
            "I was invoiced for the {plan} plan but I'm on a different one.",
        ),
    ),
    "get_invoice": (
        "INVOICE",
        (
            "Could you send me an invoice for order {order}? I need it for my expenses.",
            "Where can I download my invoices? Our accountant wants the last three months.",
            "Please email a VAT invoice for the {product} I bought {when}.",
            "I need a copy of invoice {invoice}, I lost the original email.",
            "need receipt for {order} for my tax return",
            "Can the invoice be made out to my company instead of to me personally?",
        ),
    ),
    "check_cancellation_fee": (
        "CANCELLATION_FEE",
        (
            "Is there a fee if I cancel my subscription before the year is over?",
            "How much does it cost to end my contract early? I signed up {when}.",
            "I was charged a cancellation fee of {amount}. Nobody told me about that.",
            "If I cancel within the trial, do I pay anything?",
            "whats the penalty for cancelling the {plan} plan",
        ),
    ),
    "contact_customer_service": (
        "CONTACT",
        (
            "What are your opening hours? I tried calling at 7pm and nobody picked up.",
            "Is there a phone number for support? I'd rather talk than email.",
            "How can I reach someone about a problem with my account?",
            "I sent an email {when} and got no answer. Is this the right address?",
            "do you have a whatsapp number for support",
            "Where do I send a complaint in writing? I want it on record.",
        ),
    ),
    "contact_human_agent": (
        "CONTACT",
        (
            "The chatbot doesn't understand my question. Can I talk to an actual person?",
            "I'd like to speak with someone from your team, not an automated reply.",
            "Can a real agent call me back? My number is on my account.",
            "Please put me through to a supervisor.",
            "human please",
            "Is there anyone there? I've been going round in circles with the automatic answers.",
        ),
    ),
    "complaint": (
        "FEEDBACK",
        (
            "This is the third time my delivery is late. I'm really fed up.",
            "The {product} broke after two days and your colleague on the phone was rude to me.",
            "I waited {days} days for an answer to my email. That's not acceptable.",
            "Your driver threw my parcel over the fence. The {product} is damaged.",
            "I want to make a formal complaint about how my refund for {order} was handled.",
            "worst service ever. nobody answers and my money is gone",
            "I was promised a callback {when} and nobody called.",
            "The quality of the {product} is nothing like the photos on your website.",
        ),
    ),
    "review": (
        "FEEDBACK",
        (
            "Just wanted to say the {product} is great and arrived a day early. Thank you!",
            "Your colleague sorted my problem in five minutes. Please pass on my thanks.",
            "Where can I leave a review for the {product}?",
            "I have some feedback about your website: the search is hard to use on a phone.",
            "love the new packaging, no plastic!",
            "Mixed experience: fast delivery, but the {product} is smaller than I expected.",
        ),
    ),
    "newsletter_subscription": (
        "NEWSLETTER",
        (
            "Please take me off your mailing list.",
            "I'd like to sign up for your newsletter to hear about sales.",
            "I unsubscribed {when} but I'm still getting the emails.",
            "How often does the newsletter come out? I don't want daily emails.",
            "stop sending me promo emails",
            "Can I get the newsletter at a different email address than my account?",
        ),
    ),
}
