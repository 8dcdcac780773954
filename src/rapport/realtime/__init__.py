"""Live push to pages: a hub per process (in-process fan-out, Redis pub/sub across processes) and SSE streams."""
