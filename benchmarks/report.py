"""Ratios between frameworks, and the tables printed on stdout.

Every ratio is leannet's *time* over the peer's, so > 1 means leannet is slower (or, for
memory, bigger): epoch time, inference time per sample (the inverse of the throughput
ratio), single-sample latency, and peak memory. ``epoch_time`` divides the two medians;
``epoch_time_per_repeat`` is the median [min-max] of the ratios of each repeat, whose two
epochs ran back to back: on a shared host whose speed changes from minute to minute it is
the steadier of the two. The "stolen %" column (from /proc/stat) says whether the
hypervisor took CPU time away while a framework was timed.
"""

import os

import measure

LEANNET = "leannet (verbose=1)"
LEANNET_QUIET = "leannet (verbose=0)"
FLOOR_OWNERS = {"numpy": (LEANNET, LEANNET_QUIET), "pytorch": ("pytorch",)}


def _median(block, key):
    value = (block or {}).get(key)
    return value["median"] if isinstance(value, dict) and value else None


def _ratio(numerator, denominator):
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def _paired(mine, peer, key="epoch_seconds"):
    """Median, min and max of the per-repeat ratios mine[r] / peer[r]. Each repeat ran both
    back to back, so a slow spell of the host lands on both terms of one ratio."""
    mine_values = ((mine or {}).get(key) or {}).get("values") or []
    peer_values = ((peer or {}).get(key) or {}).get("values") or []
    if not mine_values or len(mine_values) != len(peer_values):
        return None
    return measure.summary([a / b for a, b in zip(mine_values, peer_values, strict=True) if b])


def _memory(block, key):
    memory = (block or {}).get("memory") or {}
    return memory.get(key)


def peer_ratios(mine, peer):
    """leannet / peer for one pair of runner results."""
    return {
        "epoch_time": _ratio(_median(mine, "epoch_seconds"), _median(peer, "epoch_seconds")),
        "epoch_time_per_repeat": _paired(mine, peer),
        "inference_time_per_sample": _ratio(_median(peer, "inference_samples_per_second"),
                                            _median(mine, "inference_samples_per_second")),
        "single_sample_latency": _ratio((mine.get("latency_seconds") or {}).get("median"),
                                        (peer.get("latency_seconds") or {}).get("median")),
        "peak_rss": _ratio(_memory(mine, "peak_mib"), _memory(peer, "peak_mib")),
        "training_rss": _ratio(_memory(mine, "training_mib"), _memory(peer, "training_mib")),
    }


def compute_ratios(result):
    runners, ratios = result["runners"], {}
    for peer in ("pytorch", "scikit-learn"):
        if peer in runners:
            ratios[f"leannet/{peer}"] = peer_ratios(runners[LEANNET], runners[peer])
            if LEANNET_QUIET in runners:  # absent with --skip-quiet-run
                ratios[f"leannet/{peer}"]["epoch_time_verbose0"] = _ratio(
                    _median(runners[LEANNET_QUIET], "epoch_seconds"),
                    _median(runners[peer], "epoch_seconds"))
    for backend, floor in result.get("gemm_floor", {}).items():
        for label in FLOOR_OWNERS.get(backend, ()):
            if label in runners:
                ratios[f"{label} epoch / {backend} GEMM floor"] = _ratio(
                    _median(runners[label], "epoch_seconds"), _median(floor, "epoch_seconds"))
                ratios[f"{label} epoch / {backend} GEMM floor, per repeat"] = _paired(
                    runners[label], floor)
    return ratios


# ----- formatting ---------------------------------------------------------------------
def _spread(summary, scale=1.0, digits=2):
    if not summary:
        return "-"
    return (f"{summary['median'] * scale:.{digits}f} "
            f"[{summary['min'] * scale:.{digits}f}-{summary['max'] * scale:.{digits}f}]")


def _number(value, pattern):
    return "-" if value is None else pattern.format(value)


def runner_row(label, block):
    latency = block.get("latency_seconds") or {}
    accuracy_run = block.get("accuracy_run") or {}
    memory = block.get("memory") or {}
    return [
        label,
        _spread(block.get("epoch_seconds")),
        _number(_median(block, "test_accuracy"), "{:.4f}"),
        _number(accuracy_run.get("test_accuracy"), "{:.4f}"),
        _spread(block.get("inference_samples_per_second"), 1e-3, 1),
        "-" if not latency else f"{latency['median'] * 1e6:.0f}",
        "-" if "peak_mib" not in memory
        else f"{memory['peak_mib']:.0f} (+{memory['training_mib']:.0f})",
        stolen_percent(block),
    ]


def stolen_percent(block, missing="-"):
    """The median share of the CPUs the hypervisor took while this one was timed, in %."""
    stolen = (block or {}).get("stolen_share")
    return missing if not stolen else f"{stolen['median'] * 100:.0f}"


HEADER = ["framework", "s/epoch median [min-max]", "acc@E", "acc@10",
          "infer k samples/s", "latency us", "peak RSS MiB (+train)", "stolen %"]


def format_table(rows):
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(str(cell).ljust(width)
                       for cell, width in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def format_case(result, settings):
    title = f"== {result['suite']} / {result['case']}: {result['description']}"
    if "skipped" in result:
        return f"{title}\n   skipped: {result['skipped']}"
    header = list(HEADER)
    header[2] = f"acc@{settings['epochs']}"
    header[3] = f"acc@{settings['accuracy_epochs']}"
    rows = [header] + [runner_row(label, block) for label, block in result["runners"].items()]
    for backend, floor in result.get("gemm_floor", {}).items():
        rows.append([f"GEMM floor ({backend}, {floor['gflops_per_second']:.0f} GFLOP/s)",
                     _spread(floor["epoch_seconds"], digits=3), "", "", "", "", "",
                     stolen_percent(floor)])
    parts = [title, f"   {result['train_samples']} training samples, batch "
                    f"{settings['batch_size']}, epochs timed per repeat: {settings['epochs']}",
             format_table(rows)]
    parts += [f"   {name}: " + _format_ratio_block(block)
              for name, block in result.get("ratios", {}).items()]
    parts += [f"   note: {note}" for note in result.get("notes", [])]
    parts += [f"   note: the memory probe of {label} failed: "
              + block["memory"]["error"].splitlines()[-1:][0]
              for label, block in result["runners"].items()
              if (block.get("memory") or {}).get("error")]
    return "\n".join(parts)


def format_ratio(value):
    """1.23x, or for a summary of per-repeat ratios 1.23x [1.10-1.40] (median [min-max])."""
    if isinstance(value, dict):
        return f"{value['median']:.2f}x [{value['min']:.2f}-{value['max']:.2f}]"
    return _number(value, "{:.2f}x")


def _format_ratio_block(block):
    if not isinstance(block, dict) or "median" in block:
        return format_ratio(block)
    return ", ".join(f"{key} {format_ratio(value)}" for key, value in block.items())


def _revision(revision):
    if revision is None:
        return "revision not recorded"
    if not revision["commit"]:
        return "not from a git checkout"
    changed = revision["uncommitted_in_src"]
    return f"commit {revision['commit'][:10]}" + (
        f" + {len(changed)} uncommitted file(s) in src/" if changed else "")


def format_environment(environment, loads):
    versions = ", ".join(f"{k} {v}" for k, v in environment["versions"].items() if v)
    kernels = environment["numpy_openblas_kernel"]
    lines = [f"machine: {environment['cpu_model']}, {environment['usable_cpus']} usable CPUs "
             f"of {environment['logical_cpus']}; threads per framework: "
             f"{environment['threads_requested']}",
             f"versions: {versions}",
             f"leannet source: {_revision(environment.get('leannet_revision'))}",
             f"numpy's OpenBLAS kernel in this run: {kernels['this_run']}"]
    for key in ("with_original_env", "without_overrides"):
        if key in kernels:
            lines.append(f"   kernel {key.replace('_', ' ')}: {kernels[key]}")
    if kernels.get("removed_env") is not None:
        lines.append(f"   removed for this run: {kernels['removed_env'] or 'nothing was set'}")
    pools = [" ".join(str(p[key]) for key in ("internal_api", "version", "architecture")
                      if p.get(key)) + f" x{p['num_threads']} ({os.path.basename(p['filepath'])})"
             for p in environment["blas_pools"]]
    lines.append("thread pools: " + "; ".join(pools))
    lines.append(f"environment: {environment['environment'] or '(none of the BLAS/OMP vars)'}")
    lines.append(f"load average (1, 5, 15 min): start {loads['start']}, end {loads['end']}")
    return "\n".join(lines)
