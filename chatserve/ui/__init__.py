"""The bundled web UI and what is sent with it: the built assets, a bot's own CSS, head and
JavaScript, and the public config the page renders from."""
