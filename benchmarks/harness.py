"""One case, all frameworks, one process: warm-up, interleaved repeats, accuracy, memory.

Interleaving: each repeat runs every contender once (and the GEMM floors), in an order
rotated by one place per repeat, so a burst of load from elsewhere on the machine lands on
all of them alike and none is always first (or always right after another's threads).
Every repeat starts each framework from a fresh model with the same seed (built outside
the timed region) and times ``--epochs`` epochs of training.
"""

import cProfile
import io
import os
import pstats
import sys

import env_report
import measure
import memory_probe
from gemm_floor import NumpyGemmEpoch, TorchGemmEpoch
from runners import FRAMEWORKS, make_runners, peer_note
from suites import dense_sizes, missing_leannet_layers


def run_case(case, flat_data, settings, options):
    """Every number for one case (a dict), or a note saying why the case was skipped."""
    missing = missing_leannet_layers(case)
    if missing:
        return {"case": case.name, "suite": case.suite, "description": case.description,
                "skipped": f"leannet.layers has no {', '.join(missing)} yet: pending"}
    data = flat_data.shaped_for(case, settings.batches, settings.batch_size)
    runners, notes = make_runners(case, data, settings, options.show_progress,
                                  quiet_run=not options.skip_quiet_run)
    floors = make_floors(case, len(data.x_train), settings)
    notes += env_report.limit_threads(settings.threads)  # after every library is loaded
    warm_up(runners, settings)
    result = {"case": case.name, "suite": case.suite, "description": case.description,
              "train_samples": len(data.x_train), "test_samples": len(data.x_test),
              "notes": notes}
    result["runners"], result["gemm_floor"], result["load_per_repeat"] = time_repeats(
        runners, floors, data, settings)
    for label, accuracy in accuracy_run(runners, settings).items():
        result["runners"][label]["accuracy_run"] = accuracy
    if not options.skip_memory:
        attach_memory(result, case, settings, options.data_dir)
    if options.profile:
        result["leannet_profile"] = profile_leannet_epoch(runners[0], settings, options.profile)
    return result


def make_floors(case, n_samples, settings):
    sizes = dense_sizes(case)
    if sizes is None:
        return []
    floors = [NumpyGemmEpoch(sizes, n_samples, settings.batch_size, settings.seed)]
    if peer_note("pytorch", case) is None:
        floors.append(TorchGemmEpoch(sizes, n_samples, settings.batch_size, settings.seed))
    return floors


def warm_up(runners, settings):
    """A few untimed batches each: first-call costs (imports, allocator, thread start)."""
    for runner in runners:
        runner.reset(settings.seed)
        runner.train(1, limit=settings.warmup_batches * settings.batch_size)


def rotated(items, shift):
    shift %= max(len(items), 1)
    return items[shift:] + items[:shift]


def time_repeats(runners, floors, data, settings):
    records = {runner.label: new_record(runner) for runner in runners}
    floor_records = {floor.backend: {"seconds": [], "stolen": []} for floor in floors}
    loads = []
    for repeat in range(settings.repeat):
        loads.append(os.getloadavg())
        for item in rotated([*runners, *floors], repeat):
            if item in floors:
                seconds, stolen = measure.timed(item.run)
                floor_records[item.backend]["seconds"].append(seconds)
                floor_records[item.backend]["stolen"].append(stolen)
                progress(f"GEMM floor ({item.backend})", repeat, settings, seconds, stolen)
            else:
                measure_one_repeat(item, records[item.label], data, settings)
                progress(item.label, repeat, settings, records[item.label]["epoch_seconds"][-1],
                         records[item.label]["stolen_share"][-1])
    runner_results = {label: summarise_record(record) for label, record in records.items()}
    floor_results = {floor.backend: summarise_floor(floor, floor_records[floor.backend])
                     for floor in floors}
    return runner_results, floor_results, loads


def summarise_floor(floor, record):
    epoch_seconds = measure.summary(record["seconds"])
    return {"epoch_seconds": epoch_seconds, "stolen_share": stolen_summary(record["stolen"]),
            "gflop_per_epoch": floor.flops / 1e9,
            "gflops_per_second": floor.flops / 1e9 / epoch_seconds["median"],
            "batches": len(floor.rows), "last_batch_rows": floor.rows[-1]}


def stolen_summary(shares):
    """Summary of the stolen shares that could be read (None off Linux)."""
    return measure.summary([share for share in shares if share is not None])


def progress(label, repeat, settings, seconds, stolen):
    stolen_note = "" if stolen is None else f" ({stolen:.0%} of the CPUs stolen)"
    print(f"  repeat {repeat + 1}/{settings.repeat}: {label} {seconds:.3f} s/epoch{stolen_note}",
          file=sys.stderr, flush=True)


def new_record(runner):
    return {"framework": runner.framework, "init": runner.init_note, "epoch_seconds": [],
            "stolen_share": [], "test_accuracy": [], "throughput": [], "latencies": []}


def measure_one_repeat(runner, record, data, settings):
    runner.reset(settings.seed)
    elapsed, stolen = measure.timed(runner.train, settings.epochs)
    record["epoch_seconds"].append(elapsed / settings.epochs)
    record["stolen_share"].append(stolen)
    record["test_accuracy"].append(runner.test_accuracy())
    record["weight_dtype"] = runner.weight_dtype()
    if runner.measures_inference:
        record["throughput"].append(
            measure.inference_throughput(runner, data.x_test, settings.inference_batch))
        record["latencies"] += measure.single_sample_latencies(
            runner.predict_one, data.x_test[:1], settings.latency_calls,
            settings.latency_budget_seconds)


def summarise_record(record):
    latencies = record["latencies"]
    return {
        "framework": record["framework"], "init": record["init"],
        "weight_dtype": record.get("weight_dtype"),
        "epoch_seconds": measure.summary(record["epoch_seconds"]),
        "stolen_share": stolen_summary(record["stolen_share"]),
        "test_accuracy": measure.summary(record["test_accuracy"]),
        "inference_samples_per_second": measure.summary(record["throughput"]),
        "latency_seconds": None if not latencies else {
            "median": measure.percentile(latencies, 0.5),
            "p10": measure.percentile(latencies, 0.1),
            "p90": measure.percentile(latencies, 0.9), "calls": len(latencies)},
    }


def accuracy_run(runners, settings):
    """``accuracy_epochs`` epochs of continued training, interleaved epoch by epoch; the
    test accuracy at the end and the time of each epoch."""
    if settings.accuracy_epochs <= 0:
        return {}
    chosen = [runner for runner in runners if runner.measures_inference]
    for runner in chosen:
        runner.reset(settings.seed)
    seconds = {runner.label: [] for runner in chosen}
    for epoch in range(settings.accuracy_epochs):
        for runner in rotated(chosen, epoch):
            seconds[runner.label].append(measure.seconds(runner.train, 1))
        print(f"  accuracy run: epoch {epoch + 1}/{settings.accuracy_epochs} done",
              file=sys.stderr, flush=True)
    return {runner.label: {"epochs": settings.accuracy_epochs,
                           "test_accuracy": runner.test_accuracy(),
                           "epoch_seconds": measure.summary(seconds[runner.label])}
            for runner in chosen}


def attach_memory(result, case, settings, data_dir):
    """Peak RSS of each framework's training, each measured in a fresh child process."""
    for framework in FRAMEWORKS:
        label = "leannet (verbose=1)" if framework == "leannet" else framework
        if label in result["runners"]:
            memory = memory_probe.run_probe(framework, case.name, settings, data_dir)
            result["runners"][label]["memory"] = memory


def profile_leannet_epoch(runner, settings, lines):
    """cProfile of one leannet training epoch (fit, verbose as the runner has it)."""
    runner.reset(settings.seed)
    profiler = cProfile.Profile()
    profiler.runcall(runner.train, 1)
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.strip_dirs().sort_stats("tottime").print_stats(lines)
    return {"sorted_by": "tottime", "lines": lines, "text": text.getvalue()}
