"""The hub's versioned SQL migrations (see shared/migrations.py)."""
