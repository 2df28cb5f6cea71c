"""`python -m field_node.cli`: what the sync page starts, and `fieldsync-node` without the entry point."""

from field_node.cli import main

main()
