# Look-alike seen in CPython's logging: a process-wide handler list holding weak references.
# Reproduction written for this corpus.
import weakref

_handlerList = []


def _removeHandlerRef(wr):
    if wr in _handlerList:
        _handlerList.remove(wr)


class Handler:
    def __init__(self, level=0):
        self.level = level
        _handlerList.append(weakref.ref(self, _removeHandlerRef))
