# Fixed shape of ARM-software/devlib#679: atexit gets a weak method; dropping the connection
# unregisters it.
import atexit
import weakref


class SshConnection:
    def __init__(self, host, username):
        self.host = host
        self.username = username
        self._client = None
        weak_close = weakref.WeakMethod(self.close)

        def _close_at_exit():
            close = weak_close()
            if close is not None:
                close()

        atexit.register(_close_at_exit)
        weakref.finalize(self, atexit.unregister, _close_at_exit)

    def close(self):
        if self._client is not None:
            self._client.close()
            self._client = None


def run_on(hosts, username):
    return [SshConnection(h, username) for h in hosts]
