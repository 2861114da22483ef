"""``leannet data download|verify [NAME]``: fetch a dataset, or check its files' digests.

    leannet data download mnist                  # into the cache, ~/.cache/leannet/mnist
    leannet data download fashion-mnist --data-dir data/fashion
    leannet data verify mnist                    # the copy that training would use
"""

from leannet import data
from leannet.commands.datasets import DATASET_NAMES, FALLBACK, load_splits
from leannet.commands.errors import CommandError, UsageError, one_line
from leannet.commands.options import add_dataset_options, description


def register(subparsers):
    parser = subparsers.add_parser("data", help="download or verify a dataset",
                                   description=description(__doc__))
    parser.add_argument("action", choices=("download", "verify"))
    parser.add_argument("name", nargs="?", choices=DATASET_NAMES, metavar="NAME",
                        help=f"the dataset ({', '.join(DATASET_NAMES)}; default mnist)")
    add_dataset_options(parser, "the same as NAME")
    parser.add_argument("--no-progress", action="store_true", help="no download progress bars")
    parser.set_defaults(run=run)


def run(args):
    if args.name and args.dataset and args.name != args.dataset:
        raise UsageError(f"two datasets named: {args.name} and --dataset {args.dataset}")
    name = args.name or args.dataset or "mnist"
    if name == FALLBACK:
        load_splits(name, None)  # checks the bundled files' structure
        print(f"{name} is bundled with leannet: nothing to download, its files read correctly")
        return 0
    if args.action == "download":
        return _download(name, args.data_dir, progress=not args.no_progress)
    return _verify(name, args.data_dir)


def _download(name, directory, progress):
    try:
        checks = data.download(name, directory=directory, progress=progress)
    except data.DownloadError as error:
        raise CommandError(one_line(error)) from None
    where = directory or data.cache_dir(name)
    return _print_checks(checks, f"{name} is in {where}")


def _verify(name, directory):
    found = data.locate_dataset(name, directory)
    if directory is None and found is None:
        places = ", ".join(str(place) for place in data.search_dirs(name))
        raise CommandError(f"{name}: no complete copy found (looked in {places}); "
                           f"fetch it with `leannet data download {name}`")
    return _print_checks(data.verify(name, found or directory), f"{name} in {found or directory}")


def _print_checks(checks, subject):
    """One line per file; exit code 1 unless every file is good (or only unverifiable)."""
    for check in checks:
        print(check)
    bad = [check for check in checks if check.status not in ("ok", "unverifiable")]
    if bad:
        raise CommandError(f"{subject}: {len(bad)} of {len(checks)} files failed the check")
    print(f"{subject}: all {len(checks)} files are good")
    return 0
