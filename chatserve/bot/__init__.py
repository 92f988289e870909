"""A loaded bot and its chat function: importing it, running it, and what it receives
(history, the request) and returns (replies, components)."""
