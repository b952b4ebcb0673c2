"""Sinergi: the smart-city collaboration matchmaker."""

__version__ = "0.1.0"
