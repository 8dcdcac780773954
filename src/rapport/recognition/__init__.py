"""Recognition and the closed loop: kudos for the agents a happy customer credits, follow-ups for unhappy ones."""
