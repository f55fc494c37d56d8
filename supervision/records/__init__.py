"""Supervision records: writing them up, sharing, signing and finalising, their templates,
their hash, their PDF and the emails about them."""
