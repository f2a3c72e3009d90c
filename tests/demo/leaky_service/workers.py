"""Renders reports in a pool of worker threads."""
import threading
from concurrent.futures import ThreadPoolExecutor

from . import reports

# Per-thread state for the code a worker runs.
_state = threading.local()


def _connection():
    # Fine: one connection per worker thread, created once and reused by every task.
    if not hasattr(_state, "connection"):
        _state.connection = open("/dev/null", "w")
    return _state.connection


def _render_one(dataset):
    # Leak: the dataset stays attached to the worker thread after the task ends (RH401).
    _state.dataset = dataset
    text = reports.render(dataset)
    _connection().write(text)
    return text


def render_all(datasets, workers=4):
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_render_one, datasets))
