# Shape of ARM-software/devlib#676, fixed by ARM-software/devlib#679 ("Fix atexit.register()
# SshConnection leak"). Minimal reproduction written for this corpus.
import atexit


class SshConnection:
    def __init__(self, host, username):
        self.host = host
        self.username = username
        self._client = None
        atexit.register(self.close)  # <- keeps every connection alive

    def close(self):
        if self._client is not None:
            self._client.close()
            self._client = None


def run_on(hosts, username):
    return [SshConnection(h, username) for h in hosts]
