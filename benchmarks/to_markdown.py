"""Render the JSON of ``run.py --json`` as the Markdown tables of docs/benchmarks.md.

    python benchmarks/to_markdown.py benchmarks/results/mlp-threads1.json [more.json ...]
"""

import json
import sys

from report import _revision, stolen_percent


def _spread(summary, scale=1.0, digits=2):
    if not summary:
        return "–"
    return (f"{summary['median'] * scale:.{digits}f} "
            f"({summary['min'] * scale:.{digits}f}–{summary['max'] * scale:.{digits}f})")


def _fixed(value, pattern):
    return "–" if value is None else pattern.format(value)


def _row(cells):
    return "| " + " | ".join(cells) + " |"


def runner_rows(case, settings):
    header = ["framework", "s/epoch, median (min–max)", f"test acc. after {settings['epochs']}",
              f"after {settings['accuracy_epochs']}" if settings["accuracy_epochs"]
              else "longer run (not run)", "inference, k samples/s (batch "
              f"{settings['inference_batch']})", "1-sample latency, µs", "peak RSS, MiB",
              "added by training, MiB", "CPU stolen, %"]
    rows = [_row(header), _row(["---"] * len(header))]
    for label, block in case["runners"].items():
        latency, memory = block.get("latency_seconds") or {}, block.get("memory") or {}
        rows.append(_row([
            label, _spread(block["epoch_seconds"]),
            _fixed((block.get("test_accuracy") or {}).get("median"), "{:.4f}"),
            _fixed((block.get("accuracy_run") or {}).get("test_accuracy"), "{:.4f}"),
            _spread(block.get("inference_samples_per_second"), 1e-3, 1),
            _fixed(latency.get("median") and latency["median"] * 1e6, "{:.0f}"),
            _fixed(memory.get("peak_mib"), "{:.0f}"), _fixed(memory.get("training_mib"), "{:.0f}"),
            stolen_percent(block, "–"),
        ]))
    for backend, floor in case.get("gemm_floor", {}).items():
        rows.append(_row([f"GEMM floor, {backend} ({floor['gflops_per_second']:.0f} GFLOP/s)",
                          _spread(floor["epoch_seconds"], digits=3)] + [""] * 6
                         + [stolen_percent(floor, "–")]))
    return rows


def ratio_rows(case):
    rows = [_row(["ratio (leannet time ÷ peer time; > 1: leannet slower)",
                  "value (per repeat: median [min–max])"]),
            _row(["---", "---"])]
    for name, block in case.get("ratios", {}).items():
        if isinstance(block, dict) and "median" not in block:
            rows += [_row([f"{name}: {key}", _ratio_text(value)]) for key, value in block.items()]
        else:
            rows.append(_row([name, _ratio_text(block)]))
    return rows


def _ratio_text(value):
    """1.23, or for per-repeat ratios 1.23 [1.10–1.40] (median [min–max])."""
    if isinstance(value, dict):
        return f"{value['median']:.2f} [{value['min']:.2f}–{value['max']:.2f}]"
    return _fixed(value, "{:.2f}")


def render(results):
    settings, env = results["settings"], results["environment"]
    loads = results["load_average"]
    lines = [f"Command: `{results['command']}`", "",
             f"Threads: {settings['threads']}; repeats: {settings['repeat']}; leannet "
             f"{_revision(env.get('leannet_revision'))}; numpy OpenBLAS kernel "
             f"{env['numpy_openblas_kernel']['this_run']}; load average (1/5/15 min) at start "
             f"{', '.join(f'{x:.1f}' for x in loads['start'])}, at end "
             f"{', '.join(f'{x:.1f}' for x in loads['end'])}."]
    for case in results["cases"]:
        lines += ["", f"#### {case['suite']} / {case['case']}: {case['description']}", ""]
        if "skipped" in case:
            lines.append(f"Skipped: {case['skipped']}")
            continue
        lines += runner_rows(case, settings) + [""] + ratio_rows(case)
        lines += [f"\nNote: {note}" for note in case.get("notes", [])]
    return "\n".join(lines)


def main(paths):
    for path in paths:
        with open(path) as file:
            print(render(json.load(file)))
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
