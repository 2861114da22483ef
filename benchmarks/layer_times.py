"""Where a leannet training step goes: each layer's forward and backward, and the optimizer.

    python benchmarks/layer_times.py cnn --steps 20 [--threads 2]

Builds a preset of ``leannet train`` (mlp, cnn, lenet, lstm), compiles it with Adam, and
runs training steps on random batches of 128, timing every layer's ``forward`` and
``backward`` and the optimizer's ``step`` with ``time.perf_counter``. The first steps
(which allocate the layers' work arrays) are not counted; the table shows milliseconds per
step, averaged over ``--steps``. A complement to ``run.py --profile``, which profiles a
whole epoch by function.
"""

import argparse
import time

import numpy as np

from leannet.presets import INPUT_SHAPES, PRESETS, build_model

WARM_UP_STEPS = 3


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=PRESETS)
    parser.add_argument("--steps", type=int, default=20, help="timed steps (default 20)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=None,
                        help="cap numpy's BLAS threads (needs threadpoolctl)")
    return parser.parse_args(argv)


def time_steps(model, x, y, steps):
    """{layer name: [forward s, backward s]} and the optimizer's seconds, summed over steps."""
    layer_seconds = {layer.name: [0.0, 0.0] for layer in model.layers}
    optimizer_seconds = 0.0
    parameters = model.parameters()
    for step in range(WARM_UP_STEPS + steps):
        counted = step >= WARM_UP_STEPS
        outputs = x
        for layer in model.layers:
            start = time.perf_counter()
            outputs = layer.forward(outputs, training=True)
            layer_seconds[layer.name][0] += counted * (time.perf_counter() - start)
        model.loss.forward(outputs, y)
        grad = model.loss.backward()
        for layer in reversed(model.layers):
            start = time.perf_counter()
            grad = layer.backward(grad)
            layer_seconds[layer.name][1] += counted * (time.perf_counter() - start)
        start = time.perf_counter()
        model.optimizer.step(parameters)
        optimizer_seconds += counted * (time.perf_counter() - start)
    return layer_seconds, optimizer_seconds


def main(argv=None):
    args = parse_args(argv)
    limiter = None
    if args.threads is not None:
        from threadpoolctl import threadpool_limits

        limiter = threadpool_limits(args.threads)
    model = build_model(args.model, INPUT_SHAPES[args.model], seed=0)
    model.compile(loss="cross_entropy", optimizer="adam")
    rng = np.random.default_rng(0)
    x = rng.random((args.batch_size, *INPUT_SHAPES[args.model]), dtype=np.float32)
    y = rng.integers(0, 10, args.batch_size)
    layer_seconds, optimizer_seconds = time_steps(model, x, y, args.steps)
    scale = 1e3 / args.steps
    print(f"{args.model}: ms per training step of {args.batch_size}, mean of {args.steps}")
    print(f"{'layer':20s} {'forward':>8s} {'backward':>9s}")
    for name, (forward, backward) in layer_seconds.items():
        print(f"{name:20s} {forward * scale:8.2f} {backward * scale:9.2f}")
    total = sum(map(sum, layer_seconds.values())) + optimizer_seconds
    print(f"{'optimizer step':20s} {optimizer_seconds * scale:8.2f}")
    print(f"{'total':20s} {total * scale:8.2f}")
    if limiter is not None:
        limiter.restore_original_limits()


if __name__ == "__main__":
    main()
