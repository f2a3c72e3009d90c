# Fixed shape of python/cpython#100348 (python/cpython#100349): close() drops the cached bound
# method, so a closed transport is freed by reference counting.


class SocketTransport:
    def __init__(self, loop, sock, protocol):
        self._loop = loop
        self._sock = sock
        self._protocol = protocol
        self._read_ready_cb = self._read_ready__data_received

    def _read_ready__data_received(self):
        data = self._sock.recv(65536)
        self._protocol.data_received(data)

    def close(self):
        self._loop.remove_reader(self._sock.fileno())
        self._sock.close()
        self._read_ready_cb = None


def accept_connection(loop, sock, protocol_factory):
    return SocketTransport(loop, sock, protocol_factory())
