"""County cleaning runs (DOMAIN.md §6–§8): the rule catalogue, anomalies kept from run to run, exports."""
