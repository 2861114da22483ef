"""Train a small model, checkpointing every epoch; the subject of the kill-and-resume test.

    python resume_worker.py RUN_DIR [--resume] [--batch-delay SECONDS]

Synthetic data, Dropout, Adam with a warm-up + cosine schedule, validation split. After each
epoch the checkpoint RUN_DIR/ckpt/checkpoint.leannet is written, then the epoch number is
appended to RUN_DIR/progress. When training completes, every array of the run (weights,
optimizer slots and step count, random state, history) goes to RUN_DIR/final.npz.
``--batch-delay`` sleeps after each batch (it changes no number) so that a test can kill
the process in the middle of training.
"""

import argparse
import json
import os
import sys
import time

import numpy as np

import leannet as ln
from leannet.callbacks import Callback, ModelCheckpoint
from leannet.layers import Dense, Dropout, ReLU, Tanh

EPOCHS = 6


def make_data():
    rng = np.random.default_rng(123)
    x = rng.standard_normal((384, 12)).astype(np.float32)
    y = (x[:, :4] @ rng.standard_normal((4, 3))).argmax(axis=1)
    return x, y


def make_model():
    model = ln.Sequential([Dense(32), ReLU(), Dropout(0.25), Dense(16), Tanh(), Dropout(0.1),
                           Dense(3)], input_shape=(12,), seed=7)
    schedule = ln.optim.LinearWarmup(10, ln.optim.CosineDecay(3e-3, 60, min_lr=1e-4))
    model.compile(loss="cross_entropy", optimizer=ln.optim.Adam(lr=schedule),
                  metrics=["accuracy"])
    return model


class ReportProgress(Callback):
    """Append the finished epoch to a file (after the checkpoint callback has run)."""

    def __init__(self, path):
        super().__init__()
        self.path = path

    def on_epoch_end(self, epoch, logs=None):
        with open(self.path, "a") as file:
            file.write(f"{epoch}\n")


class SlowDown(Callback):
    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds

    def on_train_batch_end(self, batch, logs=None):
        time.sleep(self.seconds)


def final_arrays(model):
    arrays = {f"weights/{name}": value for name, value in model.state_dict().items()}
    state = model.optimizer.state_dict()
    for name, slots in state["slots"].items():
        for slot, value in slots.items():
            arrays[f"optimizer/{name}/{slot}"] = value
    arrays["optimizer/iterations"] = np.array(state["iterations"])
    arrays["rng_state"] = np.frombuffer(
        json.dumps(model.rng.bit_generator.state).encode(), dtype=np.uint8)
    arrays["history/epoch"] = np.array(model.history.epoch)
    for key, values in model.history.history.items():
        arrays[f"history/{key}"] = np.array(values)
    return arrays


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("run_dir")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--batch-delay", type=float, default=0.0)
    args = parser.parse_args(argv)
    checkpoints = os.path.join(args.run_dir, "ckpt") + os.sep
    callbacks = [ModelCheckpoint(checkpoints),
                 ReportProgress(os.path.join(args.run_dir, "progress"))]
    if args.batch_delay:
        callbacks.append(SlowDown(args.batch_delay))
    x, y = make_data()
    model = make_model()
    model.fit(x, y, epochs=EPOCHS, batch_size=32, validation_split=0.25, verbose=0,
              callbacks=callbacks, resume_from=checkpoints if args.resume else None)
    np.savez(os.path.join(args.run_dir, "final.npz"), **final_arrays(model))


if __name__ == "__main__":
    main(sys.argv[1:])
