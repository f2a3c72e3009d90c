# Shape of python/cpython#98539 (fixed by python/cpython#98540): asyncio's SSL application
# transport, a class with __del__, kept a reference to the SSL protocol that owns it, even after
# close(). Minimal reproduction written for this corpus.
import warnings


class AppTransport:  # <- class with __del__ in a cycle
    def __init__(self, loop, ssl_protocol):
        self._loop = loop
        self._ssl_protocol = ssl_protocol  # <- back reference to the owning protocol
        self._closed = False

    def close(self):
        self._closed = True
        self._ssl_protocol._start_shutdown()

    def __del__(self, _warn=warnings.warn):
        if not self._closed:
            _warn(f"unclosed transport {self!r}", ResourceWarning)
            self.close()


class SSLProtocol:
    def __init__(self, loop, app_protocol):
        self._loop = loop
        self._app_protocol = app_protocol
        self._app_transport = AppTransport(loop, self)  # <- protocol -> transport -> protocol

    def _start_shutdown(self):
        self._app_protocol.connection_lost(None)


def wrap_connection(loop, app_protocol):
    return SSLProtocol(loop, app_protocol)
