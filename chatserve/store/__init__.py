"""The state that lives on disk: files by opaque id, the flag store, example answers, and
the sweeper that keeps the data dir small."""
