"""Persistence for baocao: SQLModel tables, engine set-up and keyword-only queries.

This package imports neither ``bot`` nor ``scheduler``: it is the truth they both read.
"""
