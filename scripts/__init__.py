"""Maintenance scripts, run from the project root: `python scripts/x.py` or, for those that
import one another, `python -m scripts.x`."""
