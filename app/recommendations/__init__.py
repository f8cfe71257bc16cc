"""Recommendations: models, offline evaluation and (later) serving."""
