"""The station's copy of the roster and what the pages read of it: households and members (``households``), their
search keys (``search``), and the visits' display rows and month coverage (``visits``)."""
