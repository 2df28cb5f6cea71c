"""Reports a county sends, and the figures its dashboards draw: read-only views over the store."""
