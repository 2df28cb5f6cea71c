"""Checking records against the households' real situation: tasks sent to stations, the month's spot checks."""
