"""The seeds' path runs: the examples print what the guide says they print."""

import runpy
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_neuron_prints_the_seeds_value():
    result = subprocess.run([sys.executable, str(EXAMPLES / "neuron.py")],
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "0.9990889488055994"


def test_xor_learns_the_truth_table():
    xor = runpy.run_path(str(EXAMPLES / "xor.py"))
    predictions = xor["main"](verbose=False)
    assert [int(round(p)) for p in predictions] == [0, 1, 1, 0]
    assert max(abs(predictions - [0, 1, 1, 0])) < 0.1


def test_xor_prints_rounded_predictions():
    result = subprocess.run([sys.executable, str(EXAMPLES / "xor.py")],
                            capture_output=True, text=True, check=True)
    assert "rounded: 0 1 1 0" in result.stdout
