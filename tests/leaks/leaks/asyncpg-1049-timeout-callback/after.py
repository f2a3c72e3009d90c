# Fixed shape of MagicStack/asyncpg#1049: the attributes are gone; the methods are used directly.


class BaseProtocol:
    def __init__(self, loop, con_params):
        self.loop = loop
        self.con_params = con_params
        self.waiter = None
        self.timeout_handle = None

    def _new_waiter(self, timeout):
        self.waiter = self.loop.create_future()
        if timeout is not None:
            self.timeout_handle = self.loop.call_later(timeout, self._on_timeout, self.waiter)
        self.waiter.add_done_callback(self._on_waiter_completed)
        return self.waiter

    def _on_timeout(self, fut):
        if not fut.done():
            fut.cancel()

    def _on_waiter_completed(self, fut):
        if self.timeout_handle is not None:
            self.timeout_handle.cancel()
            self.timeout_handle = None


def connect(loop, params):
    return BaseProtocol(loop, params)
