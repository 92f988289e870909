"""`chatserve test`: a bot's cases run through the turn engine (or a server), their replies
checked, the results reported."""
