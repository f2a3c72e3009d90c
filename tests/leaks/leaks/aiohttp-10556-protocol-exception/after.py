# Fixed shape of aio-libs/aiohttp#10556: close() clears the stored exception.


class ResponseHandler:
    def __init__(self, loop, parser):
        self._loop = loop
        self._parser = parser
        self._exception = None
        self.transport = None

    def data_received(self, data):
        try:
            self._parser.feed_data(data)
        except Exception as underlying_exc:
            self._exception = underlying_exc

    def close(self):
        self._exception = None  # break the cycle through the traceback
        transport = self.transport
        if transport is not None:
            transport.close()
            self.transport = None


def new_connection(loop, parser_factory):
    return ResponseHandler(loop, parser_factory())
