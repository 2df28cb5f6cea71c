"""Talking to the hub: the node's identity and enrolment (``node``), the signed HTTP client (``client``) and one
sync pass or the watch loop (``passes``)."""
