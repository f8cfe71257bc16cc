"""Dynamic pricing: price rules, the effective price they give every wine, its scheduler and its history."""
