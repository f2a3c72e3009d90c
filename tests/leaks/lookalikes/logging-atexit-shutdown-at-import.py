# Look-alike seen in CPython's logging module: atexit.register of a module function at import.
# Reproduction written for this corpus.
import atexit

_handlers = []


def shutdown(handler_list=_handlers):
    for h in reversed(handler_list):
        h.flush()
        h.close()


atexit.register(shutdown)
