"""Clickstream: the beacon endpoint, the Redis stream behind it, and the worker that turns events into history."""
