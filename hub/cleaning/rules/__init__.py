"""The rule catalogue: every rule of DOMAIN.md §6, one module per concern, each rule a small function whose heavy
work is one SQL query (hub/cleaning/catalogue.py says what a rule is).

Rules read the roster tables and ``household_month`` — a temporary table the runner builds once per run
with one figure per household and month (the latest record; disagreements are rule I5's business).
Every rule reads visits through ``Visit.is_current`` (hub/store/models.py): a corrected visit no longer counts.
"""

from __future__ import annotations

from hub.cleaning.catalogue import Rule, collect
from hub.cleaning.rules import cross_checks, identity, income, labour, support, visits

CATALOGUE: dict[str, Rule] = collect(income, labour, support, visits, identity, cross_checks)
