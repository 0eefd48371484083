"""Deadline work: pure decisions over stored state and `now`, writing outbox rows with unique keys."""
