"""Reporting upward (issue 17, docs/upward.md): a county hub's month, signed, to a city hub — the county's side
(``county``: what goes up, staged and signed; ``client``: sending it) and the city's (``city``: what it keeps)."""
