# Shape of python/cpython#100348 (fixed by python/cpython#100349): asyncio's selector socket
# transport kept the read callback it had chosen, a bound method of itself, in an attribute.
# Minimal reproduction written for this corpus.


class SocketTransport:
    def __init__(self, loop, sock, protocol):
        self._loop = loop
        self._sock = sock
        self._protocol = protocol
        self._read_ready_cb = self._read_ready__data_received  # <- transport -> bound method -> transport

    def _read_ready__data_received(self):
        data = self._sock.recv(65536)
        self._protocol.data_received(data)

    def close(self):
        self._loop.remove_reader(self._sock.fileno())
        self._sock.close()


def accept_connection(loop, sock, protocol_factory):
    # one transport per accepted connection
    return SocketTransport(loop, sock, protocol_factory())
