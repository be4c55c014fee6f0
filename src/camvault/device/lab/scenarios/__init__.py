"""Scenario files shipped with camvault (the demo lab)."""
