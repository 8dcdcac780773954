"""Customers' first messages about orders, delivery, shipping addresses and refunds, written for the demo.

Slots in braces are filled by `slots.Filler`: {order} {product} {when} {amount} {carrier} {address} {place} …
"""

from __future__ import annotations

# intent -> (category, templates)
TEMPLATES: dict[str, tuple[str, tuple[str, ...]]] = {
    "cancel_order": (
        "ORDER",
        (
            "I ordered a {product} {when} by mistake, can you stop the order before it ships? It's {order}.",
            "Please cancel {order}. I found the {product} cheaper in a shop round the corner.",
            "Changed my mind about the {product}. Is it too late to cancel order {order}?",
            "Hello, I would like my order {order} cancelled and the {amount} put back on my card.",
            "cancel order {order} please, I placed it twice by accident",
            "Can you still call off {order}? We're moving house and nobody will be there to receive it.",
            "I no longer need the {product} I bought {when}. How do I get the order cancelled?",
            "Order {order} says 'processing' for {days} days now. If it hasn't left yet I'd rather cancel it.",
            "My {relation} already got me the same {product} so I need to cancel {order}. Thank you.",
        ),
    ),
    "change_order": (
        "ORDER",
        (
            "I picked the wrong size on order {order}: I need a {size}, not what I chose. Can you swap it?",
            "Could you add a second {product} to order {order} before it ships?",
            "On {order} I selected {colour} but I meant to choose the {colour} one. Still possible to change?",
            "I want to take one item off order {order}, the {product}. The rest can stay.",
            "Is there a way to change the quantity on {order}? I need {qty} instead of one.",
            "hi i made a mistake in my order {order}, the {product} should be {colour}",
            "Can I switch the {product} in {order} for the newer model? Happy to pay the difference.",
            "I placed {order} {when} and want to change the delivery speed to express.",
        ),
    ),
    "place_order": (
        "ORDER",
        (
            "The checkout keeps spinning when I try to buy the {product}. Could you put the order in for me?",
            "I'd like to order {qty} of the {product} for our office in {place}. Can I do that by email?",
            "Your website won't let me finish the order, it says 'session expired' every time at the payment step.",
            "Is the {product} in {colour} back in stock? I want to buy it today.",
            "How do I order something as a gift and have it sent to a different address?",
            "trying to buy a {product} but the button is greyed out. what am I doing wrong",
            "Can I place an order by phone? I'm not comfortable paying online.",
            "I want to buy the {product} but only see delivery to {place} as unavailable. Is there another way?",
        ),
    ),
    "track_order": (
        "ORDER",
        (
            "Where is my {product}? I ordered it {when} and the tracking hasn't moved.",
            "Can you tell me the status of order {order}?",
            "The tracking link for {order} gives an error page. Has it actually been sent?",
            "My order {order} was supposed to arrive {when}. Still nothing. Can you check with {carrier}?",
            "Tracking says delivered but there is no parcel at my door and my neighbours haven't seen it either.",
            "any news on {order}??",
            "Hi, just wondering when {order} will be shipped, it's a birthday present for {relation}.",
            "{carrier} says they have no parcel under the number you sent me for order {order}.",
            "I got the email that my order shipped but no tracking number. Order number {order}.",
        ),
    ),
    "delivery_options": (
        "DELIVERY",
        (
            "Do you deliver on Saturdays? I'm at work all week.",
            "What does express delivery cost to {place}?",
            "Can I collect my order from a pick-up point instead of home delivery?",
            "Is next-day delivery possible if I order the {product} before noon?",
            "Do you ship abroad? I'm spending the summer in {place}.",
            "Can the driver leave the parcel with a neighbour or in the garden shed if I'm out?",
            "which delivery companies do you use? {carrier} never finds my flat",
            "Is there a way to choose a delivery time slot? I work night shifts.",
        ),
    ),
    "delivery_period": (
        "DELIVERY",
        (
            "How long does delivery to {place} usually take?",
            "If I order the {product} today, will it be here by {day}?",
            "It's been {days} days since I ordered and nothing has arrived. Is that normal?",
            "Your site said 2-3 days but it's now over a week. When can I expect {order}?",
            "I need the {product} before the weekend for a trip. Realistically, will it make it?",
            "how many days for shipping to {place} roughly",
            "What's the delivery time for large items like the {product}?",
        ),
    ),
    "change_shipping_address": (
        "SHIPPING_ADDRESS",
        (
            "I typed my old address on order {order}. It should go to {address} instead.",
            "We have just moved. Can you redirect {order} to {address}?",
            "The house number on my order is wrong, it's {address}. Please fix before it ships!",
            "Can I change the delivery address for {order} to my office in {place}?",
            "wrong postcode on {order}, can u correct it",
            "Please send {order} to {relation} at {address} instead of to me.",
            "My address in my account is out of date. Orders keep going to the old flat.",
        ),
    ),
    "set_up_shipping_address": (
        "SHIPPING_ADDRESS",
        (
            "How do I add a second delivery address to my account? I'd like things sent to work sometimes.",
            "I can't save my new address, the form says the postcode is invalid but it's correct: {address}.",
            "Where do I set a default shipping address? Every order asks me again.",
            "Can I save an address for {relation} so I can send gifts there?",
            "The address form doesn't accept an apartment number. How do I add it?",
            "trying to add {address} as shipping address but it won't let me",
        ),
    ),
    "check_refund_policy": (
        "REFUND",
        (
            "What is your return policy for the {product}? It doesn't fit the way I hoped.",
            "If I send something back, do I get the full price or store credit?",
            "Do I get the delivery costs refunded too when I return an item?",
            "How many days do I have to return something? I bought it {when}.",
            "Can I get my money back for a gift card I never used?",
            "is the {product} refundable if I opened the box",
            "What happens to my refund if the item arrives back damaged?",
        ),
    ),
    "get_refund": (
        "REFUND",
        (
            "The {product} arrived broken. I'd like my {amount} back, not a replacement.",
            "I returned the {product} {when}. Please refund the {amount}.",
            "You charged me {amount} for order {order} but it was cancelled. I want that refunded.",
            "I was billed twice for {order}. Please give back the second {amount}.",
            "The {product} doesn't work as advertised and I'd like a refund.",
            "need a refund for {order}, the parcel never came",
            "Half my order was missing ({product}). Can you refund that part?",
            "I sent back order {order} with the label you gave me. How do I claim the money?",
        ),
    ),
    "track_refund": (
        "REFUND",
        (
            "You promised a refund for {order} {when}. It's still not on my account.",
            "When will I see the {amount} refund? The return was received according to {carrier}.",
            "Is my refund for the {product} being processed? I've heard nothing.",
            "My bank says there's no incoming refund. Can you send me a reference for the {amount}?",
            "still waiting for my money back for {order}, it's been {days} days",
            "Could you check whether the refund went to my {card}? I cancelled that card since.",
        ),
    ),
}
