"""Benchmark leannet against PyTorch (CPU) and scikit-learn: same model, data and settings.

    LEANNET_DATA=/path/to/mnist python benchmarks/run.py --suite mlp --repeat 5 --json out.json

Every framework trains the same architecture on the same full MNIST arrays (float32 in
[0, 1]) with batch 128, Adam(lr=1e-3), cross-entropy, a fresh shuffle each epoch, and the
same thread count, all in this one process, interleaved per repeat (see ``harness``).
leannet trains through ``model.fit`` with its progress bar on (``verbose=1``, as a user
sees it) and again with ``verbose=0``. Peers that are not installed are skipped with a note.
Printed: a table per model; written with ``--json``: every number behind it.
"""

import argparse
import json
import os
import sys
import time
from dataclasses import asdict

import env_report
import harness
import report
from suites import SUITES, Settings, load_flat_mnist


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--suite", choices=[*SUITES, "all"], default="mlp")
    add("--repeat", type=int, default=5, help="timed repeats per framework (default 5)")
    add("--epochs", type=int, default=1, help="epochs timed in each repeat (default 1)")
    add("--threads", type=int, default=len(os.sched_getaffinity(0)),
        help="threads for every framework (default: the usable CPUs)")
    add("--batches", type=int, default=None,
        help="train on the first B batches only (default: full epochs)")
    add("--accuracy-epochs", type=int, default=10,
        help="epochs of the separate accuracy run (0 skips it; default 10)")
    add("--seed", type=int, default=0)
    add("--latency-calls", type=int, default=1000,
        help="most single-sample predict calls per framework per repeat (default 1000)")
    add("--json", dest="json_path", default=None, help="write every number to this file")
    add("--data-dir", default=None, help="MNIST directory (default: leannet's search order, "
                                         "e.g. $LEANNET_DATA)")
    add("--unset-openblas-coretype", action="store_true",
        help="re-run everything without OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE")
    add("--skip-memory", action="store_true", help="no peak-RSS child processes")
    add("--skip-quiet-run", action="store_true",
        help="time leannet with its progress bar only, not again with verbose=0")
    add("--profile", type=int, nargs="?", const=15, default=0, metavar="LINES",
        help="cProfile one leannet epoch; print the top LINES by own time (default 15)")
    add("--show-progress", action="store_true",
        help="leannet's progress bar to the terminal (default: to os.devnull)")
    args = parser.parse_args(argv)
    for name in ("repeat", "epochs", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    return args


def settings_from(args):
    return Settings(seed=args.seed, threads=args.threads, epochs=args.epochs,
                    batches=args.batches, repeat=args.repeat,
                    accuracy_epochs=args.accuracy_epochs, latency_calls=args.latency_calls)


def selected_cases(suite):
    suites = list(SUITES) if suite == "all" else [suite]
    return [case for name in suites for case in SUITES[name]]


def run(args):
    settings = settings_from(args)
    environment_at_start = env_report.environment_variables()
    loads = {"start": os.getloadavg()}
    started = time.time()
    flat_data = load_flat_mnist(args.data_dir)
    cases = []
    for case in selected_cases(args.suite):
        print(f"running {case.suite}/{case.name} ...", file=sys.stderr, flush=True)
        cases.append(harness.run_case(case, flat_data, settings, args))
        if "runners" in cases[-1]:
            cases[-1]["ratios"] = report.compute_ratios(cases[-1])
    loads["end"] = os.getloadavg()
    environment = env_report.collect(settings.threads, environment_at_start)
    return {"command": " ".join([os.path.basename(sys.executable), *sys.argv]),
            "started_unix": started, "wall_seconds": time.time() - started,
            "settings": asdict(settings), "load_average": loads,
            "environment": environment, "cases": cases}


def print_report(results):
    print(report.format_environment(results["environment"], results["load_average"]))
    for case in results["cases"]:
        print()
        print(report.format_case(case, results["settings"]))
        profile = case.get("leannet_profile")
        if profile:
            print(f"\n   cProfile of one leannet epoch ({case['case']}), by own time:")
            print(profile["text"].rstrip())


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.unset_openblas_coretype:
        env_report.reexec_without_coretype([sys.argv[0], *argv])
    results = run(args)
    print_report(results)
    if args.json_path:
        with open(args.json_path, "w") as out:
            json.dump(results, out, indent=1, default=str)
        print(f"\nwrote {args.json_path}")


if __name__ == "__main__":
    main()
