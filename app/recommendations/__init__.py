"""Recommendations: the facade (service), one module per surface, serving state, refresh, model and offline."""
