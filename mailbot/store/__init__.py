"""Persistence: typed ORM models, the engine and one transaction per unit of work, migrations."""
