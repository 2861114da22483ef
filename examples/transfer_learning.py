"""Transfer learning: do features learned on digits 0-4 help to learn digits 5-9 from 250 images?

1. Pre-train an MLP (784 -> 256 -> 128 body, a 5-way head) on every training image of the
   digits 0-4, and save it.
2. Learn the digits 5-9 (labels remapped to 0-4) from only 50 labelled images per class,
   several ways, each over several seeds (a seed draws the 250 images and the initial weights;
   every variant of one seed sees the same images):

   scratch         the same architecture, random weights, everything learns, Adam(1e-3)
   frozen          the pre-trained body, loaded with ``load_weights(path, skip_mismatch=True)``
                   into a model whose head is new (another name, so the report lists it as
                   skipped), body frozen: only the head learns, Adam(1e-2)
   fine-tuned      the same start, nothing frozen: every weight learns at a lower rate,
                   Adam(3e-4), so the pre-trained features are adjusted, not overwritten
   random, frozen  the control for "frozen": the same frozen body with *random* weights;
                   the gap between the two is what pre-training put into the features

3. Print the test accuracy on the digits 5-9 of the test set: mean ± std and min-max.

What it shows. With ``--model mlp`` (full MNIST, 10 seeds: scratch 90.9%, frozen 88.5%,
fine-tuned 91.5%, random, frozen 82.1%) the pre-trained features are far better than random
ones, yet an MLP that learns its own features from 250 images does as well: whole-image
features learned to tell 0-4 apart are not the best ones for telling 5-9 apart. With
``--model cnn`` the frozen part is the two convolutions (full MNIST, 2 pre-training epochs,
3 seeds: scratch 93.7 ± 0.8%, frozen 94.6 ± 0.9%, fine-tuned 93.4 ± 1.1%, random, frozen
93.5 ± 0.4%): frozen pre-trained convolutions are ahead, but within the spread - and even
random 5x5 filters, frozen, make good features. On the bundled small set neither wins.

    python examples/transfer_learning.py --model cnn           # full MNIST if on this machine
    python examples/transfer_learning.py --dataset mnist-small --seeds 3
"""

import argparse
import os

import numpy as np

import leannet as ln
from leannet.data import dataset_is_available, flatten, load_dataset, to_float

FIRST_TASK, SECOND_TASK = (0, 1, 2, 3, 4), (5, 6, 7, 8, 9)
# The layers that are frozen in the "frozen" variants (every layer but the head carries over)
BODY = {"mlp": ("hidden_1", "relu_1", "hidden_2", "relu_2"),
        "cnn": ("conv_1", "relu_1", "pool_1", "conv_2", "relu_2", "pool_2")}
PRETRAINED_HEAD, NEW_HEAD = "head_0_4", "head_5_9"
VARIANTS = ("scratch", "frozen", "fine-tuned", "random, frozen")
LR = 1e-3  # pre-training and training from scratch
HEAD_LR = 1e-2  # a lone linear head on frozen features: at 1e-3 it is still underfitting
FINE_TUNE_LR = 3e-4  # 10x lower (1e-4) measured worse: the new random head learns too slowly
PER_CLASS = 50
MODEL_FILE = "pretrained_0_4.leannet"


# ----- data -----------------------------------------------------------------------------
def load_tasks(dataset, model="mlp"):
    """Train and test (x, y) of both tasks: the digits 0-4 and the digits 5-9, images as
    floats in [0, 1] - flattened to (N, 784) for the MLP, (N, 1, 28, 28) for the CNN -
    labels remapped to 0-4."""
    (x_train, y_train), (x_test, y_test) = load_dataset(dataset)
    shape = flatten if model == "mlp" else (lambda images: images[:, None])
    x_train, x_test = to_float(shape(x_train)), to_float(shape(x_test))
    tasks = {}
    for name, digits in (("first", FIRST_TASK), ("second", SECOND_TASK)):
        train, test = np.isin(y_train, digits), np.isin(y_test, digits)
        tasks[name] = {"train": (x_train[train], y_train[train] - digits[0]),
                       "test": (x_test[test], y_test[test] - digits[0])}
    return tasks


def few_labels(x, y, per_class, seed):
    """``per_class`` images of each class, drawn at random by ``seed``, in shuffled order."""
    rng = np.random.default_rng(seed)
    chosen = [rng.choice(np.flatnonzero(y == label), per_class, replace=False)
              for label in np.unique(y)]
    order = rng.permutation(np.concatenate(chosen))
    return x[order], y[order]


# ----- the model ------------------------------------------------------------------------
def build_model(kind, head, seed, lr=LR):
    """mlp: 784 -> 256 -> 128 -> 5 logits; cnn: two 5x5 convolutions (8 and 16 filters, each
    with ReLU and 2x2 max pooling) -> 64 -> 5 logits. Layer names are fixed, so weights find
    their layers by name in another model; ``head`` names the last layer."""
    layers = ln.layers
    if kind == "mlp":
        input_shape = (784,)
        stack = [layers.Dense(256, name="hidden_1"), layers.ReLU(name="relu_1"),
                 layers.Dense(128, name="hidden_2"), layers.ReLU(name="relu_2")]
    else:
        stack, input_shape = [
            layers.Conv2D(8, 5, padding="same", name="conv_1"), layers.ReLU(name="relu_1"),
            layers.MaxPool2D(2, name="pool_1"),
            layers.Conv2D(16, 5, padding="same", name="conv_2"), layers.ReLU(name="relu_2"),
            layers.MaxPool2D(2, name="pool_2"), layers.Flatten(name="flatten"),
            layers.Dense(64, name="hidden"), layers.ReLU(name="relu_3")], (1, 28, 28)
    model = ln.Sequential([*stack, layers.Dense(len(SECOND_TASK), name=head)],
                          input_shape=input_shape, seed=seed)
    model.compile(loss="cross_entropy", optimizer=ln.optim.Adam(lr=lr), metrics=["accuracy"])
    return model


def pretrain(kind, tasks, epochs, out_dir, seed=0, verbose=True):
    """Train on every image of the digits 0-4; save the model; return (path, test accuracy)."""
    model = build_model(kind, PRETRAINED_HEAD, seed)
    model.fit(*tasks["first"]["train"], epochs=epochs, batch_size=128, verbose=int(verbose))
    accuracy = model.evaluate(*tasks["first"]["test"])["accuracy"]
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, MODEL_FILE)
    model.save(path)
    return path, accuracy


def from_pretrained(kind, path, seed, lr):
    """A model with a new head whose body comes from ``path``; returns (model, report).
    The head ``head_5_9`` is not in the file: ``skip_mismatch`` keeps its random weights
    and the report says so (and lists the file's old head as unused)."""
    model = build_model(kind, NEW_HEAD, seed, lr=lr)
    report = model.load_weights(path, skip_mismatch=True)
    return model, report


# ----- the ways to learn 5-9 ------------------------------------------------------------
def make_variant(kind, variant, path, seed):
    """The untrained model of one variant, and the load report (None: nothing loaded)."""
    if variant == "scratch":
        return build_model(kind, NEW_HEAD, seed), None
    if variant == "frozen":
        model, report = from_pretrained(kind, path, seed, lr=HEAD_LR)
        model.freeze(BODY[kind])
        return model, report
    if variant == "fine-tuned":
        return from_pretrained(kind, path, seed, lr=FINE_TUNE_LR)
    if variant == "random, frozen":
        model = build_model(kind, NEW_HEAD, seed, lr=HEAD_LR)
        model.freeze(BODY[kind])
        return model, None
    raise ValueError(f"unknown variant {variant!r}; known: {VARIANTS}")


def summarize(accuracies):
    values = np.asarray(accuracies, dtype=float)
    return {"mean": float(values.mean()), "std": float(values.std()),
            "min": float(values.min()), "max": float(values.max())}


def format_table(summary, n_seeds):
    lines = [f"test accuracy on the digits 5-9, {n_seeds} seeds",
             f"{'variant':16}{'mean ± std':>18}{'min - max':>20}"]
    for variant, stats in summary.items():
        lines.append(f"{variant:16}{stats['mean']:>9.2%} ± {stats['std']:6.2%}"
                     f"{stats['min']:>10.2%} - {stats['max']:7.2%}")
    return "\n".join(lines)


# ----- putting it together --------------------------------------------------------------
def learn_second_task(kind, tasks, path, seeds, epochs, per_class, say):
    """Every variant over every seed -> (accuracies, trained models, load report)."""
    accuracies = {variant: [] for variant in VARIANTS}
    models = {variant: [] for variant in VARIANTS}
    report = None
    for seed in range(seeds):
        data = few_labels(*tasks["second"]["train"], per_class, seed)
        for variant in VARIANTS:
            model, variant_report = make_variant(kind, variant, path, seed)
            if report is None and variant_report is not None:
                report = variant_report
                say(f"load_weights report:\n{report}\n")
                say(model.summary(print_fn=None) + "\n")
            model.fit(*data, epochs=epochs, batch_size=32, verbose=0)
            accuracies[variant].append(model.evaluate(*tasks["second"]["test"])["accuracy"])
            models[variant].append(model)
    return accuracies, models, report


def run(dataset=None, seeds=3, pretrain_epochs=5, epochs=40, out="runs/transfer_learning",
        per_class=PER_CLASS, verbose=True, model="mlp"):
    """The whole experiment; returns a dict of results (accuracies, models, load report)."""
    dataset = dataset or ("mnist" if dataset_is_available("mnist") else "mnist-small")
    say = print if verbose else (lambda *args: None)
    tasks = load_tasks(dataset, model)
    say(f"{dataset}: pre-training on digits 0-4 ({len(tasks['first']['train'][0]):,} images)")
    path, pretrain_accuracy = pretrain(model, tasks, pretrain_epochs, out, verbose=verbose)
    say(f"saved {path}; test accuracy on 0-4: {pretrain_accuracy:.2%}\n")
    accuracies, models, report = learn_second_task(model, tasks, path, seeds, epochs,
                                                   per_class, say)
    summary = {variant: summarize(values) for variant, values in accuracies.items()}
    say(f"digits 5-9 from {per_class} labelled images per class, {epochs} epochs;"
        f" tested on {len(tasks['second']['test'][0]):,} images")
    say(format_table(summary, seeds))
    return {"dataset": dataset, "pretrained_path": path, "pretrain_accuracy": pretrain_accuracy,
            "load_report": report, "accuracies": accuracies, "summary": summary,
            "models": models, "seeds": list(range(seeds))}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=["mnist", "mnist-small"], default=None,
                        help="default: full MNIST if it is on this machine, else mnist-small")
    parser.add_argument("--model", choices=["mlp", "cnn"], default="mlp",
                        help="mlp: a 784-256-128 body; cnn: two convolutions, then 64 units")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--pretrain-epochs", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=40, help="epochs on the few images")
    parser.add_argument("--per-class", type=int, default=PER_CLASS,
                        help="labelled images per digit 5-9")
    parser.add_argument("--out", default="runs/transfer_learning",
                        help="directory for the pre-trained model file")
    args = parser.parse_args(argv)
    return run(dataset=args.dataset, seeds=args.seeds, pretrain_epochs=args.pretrain_epochs,
               epochs=args.epochs, out=args.out, per_class=args.per_class, model=args.model)


if __name__ == "__main__":
    main()
