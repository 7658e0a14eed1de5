"""Accuracy benchmark: the scenario catalogue measured by sessioncheck and by reference tools."""
