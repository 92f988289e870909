"""HTTP plumbing the routes share: request and response bodies, server-sent events, byte
ranges, error bodies, the access log and the OpenAPI additions."""
