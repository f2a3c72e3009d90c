"""Subscribers to report events."""
import json

_listeners = []
_seen_reports = {}


def add_listener(callback):
    _listeners.append(callback)


def notify(report_id, payload):
    # Leak: a module-level dict that only grows.
    _seen_reports[report_id] = payload
    for callback in _listeners:
        callback(report_id)


def watch(dataset):
    big = [json.loads(line) for line in open(dataset.path)]
    # Leak: a lambda capturing a large list, registered and never removed.
    add_listener(lambda report_id: print(report_id, len(big)))
