# Fixed shape of python/cpython#106503 (python/cpython#106504): close() frees the cached method.


class SocketTransport:
    def __init__(self, sock, use_sendmsg):
        self._sock = sock
        self._buffer = []
        if use_sendmsg:
            self._write_ready = self._write_sendmsg
        else:
            self._write_ready = self._write_send

    def _write_sendmsg(self):
        self._sock.sendmsg(self._buffer)

    def _write_send(self):
        self._sock.send(b"".join(self._buffer))

    def close(self):
        self._sock.close()
        self._write_ready = None


def open_transport(sock):
    return SocketTransport(sock, hasattr(sock, "sendmsg"))
