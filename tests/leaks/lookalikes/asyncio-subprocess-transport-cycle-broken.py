# Look-alike seen in CPython's asyncio subprocess transport (base_subprocess.py): a class with __del__
# whose pipe protocols point back at it; each pipe protocol drops that reference when its pipe is lost,
# and the transport drops its protocol and loop when the connection is lost.
# Reproduction written for this corpus.
import warnings


class PipeProtocol:
    def __init__(self, owner, fd):
        self.owner = owner
        self.fd = fd

    def connection_lost(self, exc):
        self.owner._pipe_lost(self.fd, exc)
        self.owner = None


class ProcessTransport:
    def __init__(self, loop, protocol):
        self._loop = loop
        self._protocol = protocol
        self._closed = False
        self._pipes = {fd: PipeProtocol(self, fd) for fd in (0, 1, 2)}

    def close(self):
        self._closed = True

    def __del__(self, _warn=warnings.warn):
        if not self._closed:
            _warn(f"unclosed transport {self!r}", ResourceWarning)

    def _pipe_lost(self, fd, exc):
        if all(p.owner is None or p.fd == fd for p in self._pipes.values()):
            self._connection_lost(exc)

    def _connection_lost(self, exc):
        try:
            self._protocol.connection_lost(exc)
        finally:
            self._loop = None
            self._protocol = None
