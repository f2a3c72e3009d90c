# Look-alike seen in CPython's asyncio subprocess transport: a __del__ class in a cycle with the
# pipe protocols it creates, broken in the lifecycle method. Reproduction written for this corpus.
import warnings


class PipeProto:
    def __init__(self, proc, fd):
        self.proc = proc
        self.fd = fd


class SubprocessTransport:
    def __init__(self, loop, protocol, proc):
        self._loop = loop
        self._protocol = protocol
        self._proc = proc
        self._closed = False
        self._pipes = {fd: PipeProto(self, fd) for fd in (0, 1, 2)}

    def close(self):
        self._closed = True

    def __del__(self, _warn=warnings.warn):
        if not self._closed:
            _warn(f"unclosed transport {self!r}", ResourceWarning)

    def _call_connection_lost(self, exc):
        try:
            self._protocol.connection_lost(exc)
        finally:
            self._loop = None
            self._proc = None
            self._protocol = None
            self._pipes = None
