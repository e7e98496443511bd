"""Utilities shared by ember packages (``ember.utils.data`` lives here too)."""
