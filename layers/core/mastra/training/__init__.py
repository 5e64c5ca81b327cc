"""Training entry points. Never imported on the request path."""
