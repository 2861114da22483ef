"""The ``leannet`` command (also ``python -m leannet``): argument parsing and dispatch.

    leannet train [--dataset mnist|fashion-mnist|mnist-small] [--model mlp|cnn|lenet|lstm] ...
    leannet evaluate MODEL          leannet predict MODEL FILE...       leannet summary MODEL
    leannet data download|verify [NAME]                                 leannet plot RUN_DIR

Each command lives in ``leannet.commands.<name>``. Expected failures (a missing file, a
damaged model file, an unknown option value, a missing dataset or optional package) are
reported as ONE line on stderr with exit code 2 for usage errors and 1 otherwise; only
unexpected bugs show a traceback.
"""

import argparse
import sys

from leannet import __version__
from leannet.commands import data, evaluate, plot, predict, summary, train
from leannet.commands.errors import CommandError, one_line
from leannet.errors import ModelFileError, TrainingDivergedError

COMMANDS = (train, evaluate, predict, summary, data, plot)
USAGE_EXIT, FAILURE_EXIT, INTERRUPT_EXIT = 2, 1, 130


class Parser(argparse.ArgumentParser):
    """argparse, with each usage error on one line (no usage block above it)."""

    def error(self, message):
        self.exit(USAGE_EXIT, f"{self.prog}: error: {one_line(message)} "
                              f"(see {self.prog} --help)\n")


def build_parser():
    parser = Parser(prog="leannet", description="Neural networks from scratch on NumPy: "
                    "train, evaluate and use models on MNIST-class data.")
    parser.add_argument("--version", action="version", version=f"leannet {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv=None):
    """Run one command; returns the exit code (the console script exits with it)."""
    argv = sys.argv[1:] if argv is None else [str(arg) for arg in argv]
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_request:  # --help, --version, or a usage error
        return exit_request.code if isinstance(exit_request.code, int) else USAGE_EXIT
    if args.command is None:
        parser.print_help(sys.stderr)
        return USAGE_EXIT
    args.argv = argv
    try:
        return args.run(args)
    except CommandError as error:
        return _fail(args.command, one_line(error), error.exit_code)
    except (ModelFileError, TrainingDivergedError) as error:
        return _fail(args.command, one_line(error), FAILURE_EXIT)
    except OSError as error:  # missing or unreadable files, a full disk, no permission
        return _fail(args.command, _os_message(error), FAILURE_EXIT)
    except KeyboardInterrupt:
        return _fail(args.command, "interrupted", INTERRUPT_EXIT)


def _fail(command, message, code):
    sys.stdout.flush()
    print(f"leannet {command}: error: {message}", file=sys.stderr, flush=True)
    return code


def _os_message(error):
    if error.filename and error.strerror:
        return f"{error.filename}: {error.strerror}"
    return one_line(error)
