"""Stations and their signed records: registration and enrolment, pushes verified and stored once, projections."""
