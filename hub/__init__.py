"""The county hub: verifies, stores and serves the signed records of the county's field nodes."""
