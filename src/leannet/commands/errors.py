"""The failures a command expects, each reported as one line (no traceback)."""


class CommandError(Exception):
    """An expected failure at run time: ``leannet`` prints the message, exits with 1."""

    exit_code = 1


class UsageError(CommandError):
    """Options that do not make sense together: exit code 2, as for argparse's errors."""

    exit_code = 2


def one_line(error):
    """The message of ``error`` on one line (multi-line messages joined with "; ")."""
    text = str(error) or type(error).__name__
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return "; ".join(line.rstrip(":;") if i < len(lines) - 1 else line
                     for i, line in enumerate(lines))


class Interrupted(CommandError):
    """Ctrl-C: exit code 130, as a shell reports a SIGINT."""

    exit_code = 130
