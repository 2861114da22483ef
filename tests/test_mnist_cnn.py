"""The MNIST CNN end to end: examples/mnist_cnn.py learns on the bundled set (fast), and
``leannet train --model cnn --epochs 3`` trains the issue's CNN to 99% on full MNIST within
2 GB (slow; runs only when LEANNET_DATA points at the full set, as in CI).

The recipe, shared by the CLI preset and the example: Adam from lr 1e-3 with a cosine
decay to 0 over the 3 epochs, 99.15-99.21% over seeds 0-3. A constant lr 1e-3 measured
98.79-99.08% over seeds and thread counts: too close to 99% to promise."""

import json
import os
import runpy
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from leannet.data import dataset_is_available
from leannet.presets import build_model

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "mnist_cnn.py"
FULL_MNIST = os.environ.get("LEANNET_DATA") or None

# Runs ``leannet train ARGV`` in a fresh interpreter, then prints the process's peak
# resident memory (VmHWM). Not ru_maxrss: that also counts the memory of the process that
# forked it (the whole pytest run).
TRAIN_AND_REPORT_PEAK_RSS = """
import json, re, resource, sys
from leannet.cli import main
code = main(["train", *sys.argv[1:]])
try:
    with open("/proc/self/status") as status:
        peak_kb = int(re.search(r"VmHWM:\\s*(\\d+) kB", status.read()).group(1))
except OSError:  # not Linux: an upper bound
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"exit_code": code, "peak_rss_kb": peak_kb}))
"""


def test_lenet_learns_in_one_epoch_on_the_bundled_set():
    # 10,000 images, 79 steps: 85.45-88.75% over seeds 0-4 (seed 0: 88.75%); chance is 10%.
    example = runpy.run_path(str(EXAMPLE))
    accuracy = example["main"](epochs=1, dataset="mnist-small", model_name="lenet", verbose=0)
    assert accuracy > 0.80


def test_the_example_reads_its_options():
    example = runpy.run_path(str(EXAMPLE))
    args = example["parse_args"](["--epochs", "2", "--model", "lenet", "--dataset", "mnist",
                                  "--seed", "3"])
    assert (args.epochs, args.model, args.dataset, args.train_size, args.seed) == (
        2, "lenet", "mnist", None, 3)


def test_a_smaller_last_batch_gets_the_gradients_of_a_fresh_model():
    # Conv2D and MaxPool2D keep their work arrays from one training step to the next; the
    # last batch of an MNIST epoch is smaller (60,000 = 468 * 128 + 96) and must not see
    # anything of the batch before.
    rng = np.random.default_rng(0)
    x = rng.random((12, 1, 28, 28), dtype=np.float32)
    projection = rng.standard_normal((12, 10)).astype(np.float32)

    def gradients(model, batch):
        model.forward(batch, training=True)
        model.backward(projection[: len(batch)])
        return [p.grad.copy() for p in model.parameters()]

    used, fresh = (build_model("lenet", (1, 28, 28), seed=0) for _ in range(2))
    gradients(used, x[::-1])
    for after_use, alone in zip(gradients(used, x[:5]), gradients(fresh, x[:5]), strict=True):
        np.testing.assert_allclose(after_use, alone, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
@pytest.mark.skipif(FULL_MNIST is None or not dataset_is_available("mnist", FULL_MNIST),
                    reason="LEANNET_DATA does not point at the full MNIST set")
def test_cnn_reaches_99_percent_in_three_epochs_within_2_gb(tmp_path):
    out = tmp_path / "run"
    argv = ["--dataset", "mnist", "--model", "cnn", "--epochs", "3", "--no-progress",
            "--out", str(out)]
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", TRAIN_AND_REPORT_PEAK_RSS, *argv],
                            capture_output=True, text=True,
                            env={**os.environ, "LEANNET_DATA": FULL_MNIST, "MPLBACKEND": "Agg"})
    seconds = time.perf_counter() - start
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["exit_code"] == 0, result.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert (metrics["model"], metrics["epochs"]) == ("cnn", 3)
    assert metrics["settings"]["lr_schedule"] == "cosine"
    peak_mb = report["peak_rss_kb"] / 1024
    print(f"leannet train --model cnn, 3 epochs of full MNIST: {metrics['test_accuracy']:.2%}, "
          f"peak RSS {peak_mb:.0f} MB, {seconds:.0f} s")
    assert metrics["test_accuracy"] >= 0.99
    assert peak_mb < 2048
