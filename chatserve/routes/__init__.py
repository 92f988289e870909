"""The HTTP routes: each module formats what the turn engine, the stores and the served
bot give it; no route module imports another."""
