"""Who may do what: county users, roles, API tokens, and the station accounts made at the hub."""
