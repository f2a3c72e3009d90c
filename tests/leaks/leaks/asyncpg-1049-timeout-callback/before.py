# Shape of MagicStack/asyncpg#1049 ("Cut BaseProtocol circular reference on close"): bound methods
# of the protocol were saved as attributes of the protocol. Minimal reproduction written for this corpus.


class BaseProtocol:
    def __init__(self, loop, con_params):
        self.loop = loop
        self.con_params = con_params
        self.waiter = None
        self.timeout_handle = None
        self.timeout_callback = self._on_timeout  # <- self -> bound method -> self
        self.completed_callback = self._on_waiter_completed  # <- self -> bound method -> self

    def _new_waiter(self, timeout):
        self.waiter = self.loop.create_future()
        if timeout is not None:
            self.timeout_handle = self.loop.call_later(timeout, self.timeout_callback, self.waiter)
        self.waiter.add_done_callback(self.completed_callback)
        return self.waiter

    def _on_timeout(self, fut):
        if not fut.done():
            fut.cancel()

    def _on_waiter_completed(self, fut):
        if self.timeout_handle is not None:
            self.timeout_handle.cancel()
            self.timeout_handle = None


def connect(loop, params):
    # one protocol per connection
    return BaseProtocol(loop, params)
