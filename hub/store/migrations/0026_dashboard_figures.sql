-- The dashboard's figures as last computed, per view (the county, or one township) and month: at a million
-- members they take tens of seconds to compute from the visits, so pages read them from here (hub/reports/figures.py
-- owns the table; the worker refreshes them, docs/dashboard.md).
CREATE TABLE dashboard_figures (
    id {ID},
    scope TEXT NOT NULL,
    period TEXT NOT NULL,
    computed_at {TS} NOT NULL,
    figures TEXT NOT NULL
);
CREATE UNIQUE INDEX dashboard_figures_view ON dashboard_figures (scope, period);
