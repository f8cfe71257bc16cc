"""Offline research on X-Wines, outside the serving path: the protocol, its metrics, seeds and replay."""
