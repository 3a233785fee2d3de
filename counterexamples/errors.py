"""Errors raised by the catalog for bad user input.

Every error a user can cause by naming a problem, passing a parameter or pointing at a file
derives from :class:`ProblemError`, a plain :class:`ValueError` (the catalog does not depend on
the ``adamtheory`` package). Each message is one line that says what is wrong and how to fix it.
"""


class ProblemError(ValueError):
    """Bad input to the catalog: a one-line message saying what is wrong and how to fix it."""


class UnknownProblemError(ProblemError):
    """A problem name that is not in the registry (the message names the closest one)."""


class ProblemParameterError(ProblemError):
    """A parameter of a problem that is unknown, of the wrong type or out of range."""


class ProblemFileError(ProblemError):
    """A user problem file that is missing, fails to import, or lacks the named object."""
