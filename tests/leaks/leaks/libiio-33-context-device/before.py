# Shape of analogdevicesinc/libiio#33 ("Python bindings: memory leak due to circular
# references"): children keep a strong reference to a parent that defines __del__.
# Minimal reproduction written for this corpus.


def _open(uri):
    return object()


def _devices_of(handle):
    return [object(), object()]


def _destroy(handle):
    pass


class Device:
    def __init__(self, ctx, handle):
        self.ctx = ctx  # <- child -> parent
        self._handle = handle


class Context:  # <- class with __del__ in a cycle
    def __init__(self, uri):
        self._ctx = _open(uri)
        self._devices = [Device(self, h) for h in _devices_of(self._ctx)]  # <- parent -> children -> parent

    def __del__(self):
        _destroy(self._ctx)


def scan(uris):
    return [Context(u) for u in uris]
