"""Timing primitives and the summaries every number in the report goes through."""

import statistics
import time


def summary(values):
    """{"median", "min", "max", "n", "values"} of a list of numbers (None when empty)."""
    values = [float(v) for v in values]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "n": len(values), "values": values}


def seconds(function, *args, **kwargs):
    """Wall-clock seconds of one call (perf_counter)."""
    start = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - start


def cpu_times():
    """(stolen, total) CPU time of the whole guest so far, in clock ticks, from the first
    line of /proc/stat; None where there is no such file (not Linux)."""
    try:
        with open("/proc/stat") as file:
            fields = file.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu" or len(fields) < 9:
        return None
    ticks = [int(value) for value in fields[1:9]]  # user nice system idle iowait irq softirq steal
    return ticks[7], sum(ticks)


def stolen_share(before, after):
    """The share of all CPU time between two ``cpu_times()`` that the hypervisor gave to
    other guests (steal): 0 on a machine of one's own, 0.5 when half the time was taken."""
    if before is None or after is None or after[1] <= before[1]:
        return None
    return (after[0] - before[0]) / (after[1] - before[1])


def timed(function, *args, **kwargs):
    """(wall-clock seconds, stolen share of the CPUs) of one call."""
    before = cpu_times()
    elapsed = seconds(function, *args, **kwargs)
    return elapsed, stolen_share(before, cpu_times())


def inference_throughput(runner, x, batch_size):
    """Samples per second of ``runner.predict_proba`` over all of ``x`` in batches."""
    return len(x) / seconds(runner.predict_proba, x, batch_size)


def single_sample_latencies(predict_one, x_one, max_calls, budget_seconds, warmup_calls=10):
    """Seconds of each of up to ``max_calls`` calls of ``predict_one(x_one)``, stopping
    early once ``budget_seconds`` have passed (but never before 50 calls)."""
    for _ in range(warmup_calls):
        predict_one(x_one)
    clock, latencies = time.perf_counter, []
    deadline = clock() + budget_seconds
    while len(latencies) < max_calls:
        start = clock()
        predict_one(x_one)
        end = clock()
        latencies.append(end - start)
        if end > deadline and len(latencies) >= 50:
            break
    return latencies


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
