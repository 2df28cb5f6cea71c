"""The county's households and persons: roster imports, corrections, what stations pull, other departments' lists."""
