"""Advice judges: pure functions from measurements to findings, and the wording catalogue."""
