# Look-alike seen in CPython's multiprocessing: thread-local state set and reset in finally.
# Reproduction written for this corpus.
import io
import pickle
import threading

_tls = threading.local()


def set_spawning_popen(popen):
    _tls.spawning_popen = popen


def launch(popen, process_obj):
    fp = io.BytesIO()
    set_spawning_popen(popen)
    try:
        pickle.dump(process_obj, fp)
    finally:
        set_spawning_popen(None)
    return fp.getvalue()
