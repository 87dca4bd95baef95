"""Seeded simulators of data the lab could not publish (one module per domain)."""
