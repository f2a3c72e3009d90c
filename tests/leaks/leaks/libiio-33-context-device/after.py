# Fixed shape of analogdevicesinc/libiio#33: parent references are weak.
import weakref


def _open(uri):
    return object()


def _devices_of(handle):
    return [object(), object()]


def _destroy(handle):
    pass


class Device:
    def __init__(self, ctx, handle):
        self._ctx_ref = weakref.ref(ctx)
        self._handle = handle

    @property
    def ctx(self):
        return self._ctx_ref()


class Context:
    def __init__(self, uri):
        self._ctx = _open(uri)
        self._devices = [Device(self, h) for h in _devices_of(self._ctx)]

    def __del__(self):
        _destroy(self._ctx)


def scan(uris):
    return [Context(u) for u in uris]
