"""The wine catalog: browsing, the demo catalog and the X-Wines conversion."""
