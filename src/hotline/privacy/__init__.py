"""Pseudonyms, sealed values and retention: holding as little as possible."""
