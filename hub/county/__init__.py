"""The county itself: its townships, its parameters (thresholds that change every year) and its clock."""
