"""The field node's versioned SQL migrations (see shared/migrations.py)."""
