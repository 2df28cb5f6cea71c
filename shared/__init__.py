"""Code used by both the field node and the county hub: record schemas, canonical encoding, signing, the
sync protocol's wire format, and the stable error codes."""
