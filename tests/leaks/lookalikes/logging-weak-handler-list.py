# Look-alike seen in CPython's logging (_addHandlerRef / _removeHandlerRef): a process-wide list of
# handlers held through weak references that remove themselves. Reproduction written for this corpus.
import weakref

_all_handlers = []


def _forget(ref):
    try:
        _all_handlers.remove(ref)
    except ValueError:
        pass


class Handler:
    def __init__(self, level=0):
        self.level = level
        _all_handlers.append(weakref.ref(self, _forget))
