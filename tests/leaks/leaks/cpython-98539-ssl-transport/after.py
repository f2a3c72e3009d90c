# Fixed shape of python/cpython#98539 (python/cpython#98540): the transport drops its protocol
# once the shutdown it started calls close() again.
import warnings


class AppTransport:
    def __init__(self, loop, ssl_protocol):
        self._loop = loop
        self._ssl_protocol = ssl_protocol
        self._closed = False

    def close(self):
        if not self._closed:
            self._closed = True
            self._ssl_protocol._start_shutdown()
        else:
            self._ssl_protocol = None

    def __del__(self, _warn=warnings.warn):
        if not self._closed:
            _warn(f"unclosed transport {self!r}", ResourceWarning)
            self.close()


class SSLProtocol:
    def __init__(self, loop, app_protocol):
        self._loop = loop
        self._app_protocol = app_protocol
        self._app_transport = AppTransport(loop, self)

    def _start_shutdown(self):
        self._app_protocol.connection_lost(None)
        self._app_transport.close()


def wrap_connection(loop, app_protocol):
    return SSLProtocol(loop, app_protocol)
