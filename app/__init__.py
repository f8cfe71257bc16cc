"""Cuvée: the backend of a wine curator's shop that remembers each customer's taste."""

__version__ = "0.1.0"
