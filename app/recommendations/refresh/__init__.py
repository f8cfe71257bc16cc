"""Keeping the served state fresh: what training reads, fitting a snapshot, and the retraining schedule."""
