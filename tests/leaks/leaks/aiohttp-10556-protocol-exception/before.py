# Shape of aio-libs/aiohttp#10535 (fixed by aio-libs/aiohttp#10556, "Break cyclic references at
# connection close when there was a traceback"). Minimal reproduction written for this corpus.


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
            self._exception = underlying_exc  # <- exception -> traceback -> frame -> self

    def close(self):
        transport = self.transport
        if transport is not None:
            transport.close()
            self.transport = None


def new_connection(loop, parser_factory):
    # one protocol per connection
    return ResponseHandler(loop, parser_factory())
