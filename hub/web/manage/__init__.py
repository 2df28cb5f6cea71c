"""The county's management pages (issue 15): stations, county users, station accounts, read-API tokens and the
rule settings, one module per concern, each action through the same domain function the command line calls (which
writes the audit entry).  Who may do what (hub/accounts/users.py ``Principal``):

- the county administrator (``can_administer``): county users, tokens, stations — register, revoke, release;
- county staff too (``can_write_county``): grid members' station accounts and the rule settings;
- county-wide readers (``county_wide``): the station list; everyone signed in: the rule settings, read only.

Every refusal is a Chinese 403 with an audit entry (hub/web/auth.py ``require``); every form carries the CSRF
token; no page here may be cached (shared/web_security.py sends ``no-store``), so a code or password shown once
stays shown once.
"""

from __future__ import annotations

from flask import Flask

from hub.web.manage import accounts, home, password, rules, stations, tokens, users

BLUEPRINTS = (home.bp, stations.bp, users.bp, accounts.bp, tokens.bp, rules.bp, password.bp)


def init_app(app: Flask) -> None:
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
