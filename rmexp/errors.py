"""Mistakes a user can make, reported as one readable message instead of a traceback."""


class UserError(Exception):
    """Bad configuration, data or arguments: the message says what and where, and what was expected."""
