"""The recommender's model: scoring maths in plain numpy (no documents, no request state)."""
