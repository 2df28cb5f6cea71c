"""The field node: the village station's store of signed records, and its sync with the county hub."""
