"""Alembic revision scripts of the fleet store, oldest first (``r0001_...``, ``r0002_...``)."""
