"""User errors of the command line: printed as one line, without a traceback."""


class CLIError(Exception):
    """A mistake in what the user asked for. ``usage=True``: a bad argument (exit status 2,
    as argparse uses); otherwise a failure to do it (exit status 1)."""

    def __init__(self, message, usage=False):
        super().__init__(message)
        self.usage = usage
