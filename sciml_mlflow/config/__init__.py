"""Configuration: typed schemas (schema.py) and composition (compose.py)."""
