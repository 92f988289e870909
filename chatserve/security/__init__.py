"""Who may ask, and how much (SPEC §6): the front door (hosts, body timeouts), same-site
checks and headers, sign-in and sessions, passwords, throttles, rate limits and quotas."""
