# Shape of python/cpython#106503 (fixed by python/cpython#106504): after a change that picked the
# write path once and cached it, the cached bound method kept every transport in a cycle.
# Minimal reproduction written for this corpus.


class SocketTransport:
    def __init__(self, sock, use_sendmsg):
        self._sock = sock
        self._buffer = []
        if use_sendmsg:
            self._write_ready = self._write_sendmsg  # <- cached bound method of self
        else:
            self._write_ready = self._write_send  # <- cached bound method of self

    def _write_sendmsg(self):
        self._sock.sendmsg(self._buffer)

    def _write_send(self):
        self._sock.send(b"".join(self._buffer))

    def close(self):
        self._sock.close()


def open_transport(sock):
    return SocketTransport(sock, hasattr(sock, "sendmsg"))
