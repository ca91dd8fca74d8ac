"""Optimus: a versioned, transactional key/value store for reference data and model coefficients."""

__version__ = "0.1.0"
