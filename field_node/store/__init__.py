"""The bottom layer: the database binding (``db``), the tables (``models``, ``migrations/``) and small state values
(``state``).  Imports nothing else of field_node."""
