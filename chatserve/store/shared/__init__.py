"""State that replicas share: each store's PostgreSQL (`server.database`) and S3
(`server.storage`) implementation, beside the local one in `chatserve.store`."""
