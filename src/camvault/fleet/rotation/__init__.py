"""Crash-safe bulk password rotation: the journal, the engine, dependents and guided recovery."""
