"""The state a request reads: the catalog as arrays and the trained snapshot, swapped in whole."""
