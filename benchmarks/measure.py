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
