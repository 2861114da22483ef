"""Peak resident memory of one framework's training, each in a fresh process.

Why a fresh process: ``ru_maxrss`` is the high-water mark of a whole process's life, so
in one process that trains three frameworks a delta only shows memory *above* the
largest peak so far (the second framework would read 0 if the first one peaked higher),
and frameworks keep caches and pools after they return. A child per framework starts from
nothing, imports only that framework (plus numpy and leannet's data loader), loads the
same MNIST arrays and builds the model. Then the kernel's high-water mark is reset
(``echo 5 > /proc/self/clear_refs``, Linux), so the peak read after training belongs to
training and not to the decompression of the data files. Reported, in MiB:

    load_peak_mib    the peak before the reset: imports, data loading, model
    rss_before_mib   VmRSS right before training (imports, data, model)
    peak_mib         VmHWM after one epoch of training: the process's peak while training
    training_mib     peak_mib - rss_before_mib: the memory training adds on top
    hwm_reset        False when the reset was refused: peak_mib is then the life-long peak

All figures come from /proc/self/status (VmRSS, VmHWM), never from ``ru_maxrss``: a child
started by fork + exec inherits in ``ru_maxrss`` the RSS its parent had at the fork (the
benchmark process, with every framework and the data loaded), so it would read the
parent's size, not its own.

Run by ``run.py``; by hand: ``python benchmarks/memory_probe.py --framework leannet``.
"""

import argparse
import gc
import json
import subprocess
import sys
from pathlib import Path

from suites import Settings, find_case


def status_mib(field):
    """A memory line of /proc/self/status ("VmRSS", "VmHWM") in MiB; NaN elsewhere."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def reset_peak():
    """Reset VmHWM to the current RSS (Linux >= 4.0); False when not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def probe(framework, case_name, settings, data_dir=None):
    """Train one epoch of ``case_name`` in ``framework`` here; return the memory figures."""
    import env_report
    from runners import make_runner
    from suites import load_flat_mnist

    case = find_case(case_name)
    data = load_flat_mnist(data_dir).shaped_for(case, settings.batches, settings.batch_size)
    runner = make_runner(framework, case, data, settings, verbose=1)
    env_report.limit_threads(settings.threads)
    runner.reset(settings.seed)
    gc.collect()
    load_peak = status_mib("VmHWM")  # not ru_maxrss: see the module docstring
    hwm_reset = reset_peak()
    before = status_mib("VmRSS")
    runner.train(1)
    peak = status_mib("VmHWM")
    return {"framework": framework, "load_peak_mib": load_peak, "rss_before_mib": before,
            "peak_mib": peak, "training_mib": peak - before, "hwm_reset": hwm_reset,
            "batches": settings.batches}


def run_probe(framework, case_name, settings, data_dir=None, timeout=1800):
    """Launch a fresh ``python memory_probe.py`` for one framework; its JSON, or an error."""
    command = [sys.executable, str(Path(__file__).resolve()), "--framework", framework,
               "--case", case_name, "--threads", str(settings.threads),
               "--batch-size", str(settings.batch_size), "--lr", str(settings.lr),
               "--seed", str(settings.seed)]
    if settings.batches is not None:
        command += ["--batches", str(settings.batches)]
    if data_dir is not None:
        command += ["--data-dir", str(data_dir)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"framework": framework, "error": done.stderr.strip()[-2000:]}
    return json.loads(lines[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framework", default="leannet")
    parser.add_argument("--case", default="mlp")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batches", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args(argv)
    settings = Settings(batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                        threads=args.threads, batches=args.batches)
    print(json.dumps(probe(args.framework, args.case, settings, args.data_dir)))


if __name__ == "__main__":
    main()
