"""Option types and options shared by several commands. A type raises
``argparse.ArgumentTypeError``, which argparse reports as a usage error (exit code 2)."""

import argparse
import math

from leannet.commands.datasets import DATASET_NAMES


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def non_negative_int(text):
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return value


def positive_float(text):
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def fraction(text):
    """A number in [0, 1): the share of the training data held out for validation."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text!r}")
    return value


def hidden_sizes(text):
    """"256,128" -> (256, 128); "" -> () (no hidden layer: softmax regression)."""
    parts = [part.strip() for part in text.split(",")] if text.strip() else []
    try:
        sizes = tuple(int(part) for part in parts)
    except ValueError:
        sizes = (0,)
    if any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(
            f"expected positive layer sizes separated by commas (e.g. 256,128), got {text!r}")
    return sizes


def add_dataset_options(parser, default_help):
    parser.add_argument("--dataset", choices=DATASET_NAMES, default=None,
                        help=f"the dataset ({', '.join(DATASET_NAMES)}); {default_help}")
    parser.add_argument("--data-dir", default=None, metavar="DIR",
                        help="the directory holding the dataset's IDX files (else "
                             "LEANNET_DATA, then the cache ~/.cache/leannet)")


def description(docstring):
    """A command's help text from its module docstring: the first paragraph, without the
    leading "``leannet ...``:" and the reST quotes."""
    first = docstring.strip().split("\n\n")[0]
    text = first.split("``: ", 1)[-1].replace("``", "")
    return text[:1].upper() + text[1:]
