"""A training progress bar that costs almost nothing per batch.

tqdm redraws at most every ``mininterval`` seconds; the live loss and metrics are
formatted only when a redraw is due, not on every batch.
"""

import time

from tqdm.auto import tqdm


class ProgressBar:
    def __init__(self, total, description, enabled=True, refresh_seconds=0.25):
        self.enabled = enabled
        self.refresh_seconds = refresh_seconds
        self._next_refresh = 0.0
        self.bar = None
        if enabled:
            self.bar = tqdm(total=total, desc=description, unit="batch", leave=True,
                            mininterval=refresh_seconds, dynamic_ncols=True)

    def update(self, logs_fn):
        """Advance one batch; ``logs_fn()`` gives the running logs, called only to redraw."""
        if not self.enabled:
            return
        now = time.monotonic()
        if now >= self._next_refresh:
            self._next_refresh = now + self.refresh_seconds
            self.bar.set_postfix(_format(logs_fn()), refresh=False)
        self.bar.update(1)

    def close(self, logs=None):
        if not self.enabled:
            return
        if logs:
            self.bar.set_postfix(_format(logs), refresh=False)
        self.bar.close()


def _format(logs):
    return {key: f"{value:.4f}" for key, value in logs.items()}
