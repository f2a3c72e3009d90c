# Shape of alisaifee/coredis#375 / #361, fixed by alisaifee/coredis#376 (functools.cached_property).
# Minimal reproduction written for this corpus; names are illustrative.
import functools


class CommandRequest:
    def __init__(self, client, name, arguments):
        self.client = client
        self.name = name
        self.arguments = arguments

    @property
    @functools.cache  # <- unbounded, keyed by `self`
    def encoded(self):
        return b" ".join([self.name.encode(), *(str(a).encode() for a in self.arguments)])


def execute(client, name, *arguments):
    request = CommandRequest(client, name, arguments)  # one per command
    return client.send(request.encoded)
