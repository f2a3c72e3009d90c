# Fixed shape of alisaifee/coredis#376: cached_property stores the value on the instance.
import functools


class CommandRequest:
    def __init__(self, client, name, arguments):
        self.client = client
        self.name = name
        self.arguments = arguments

    @functools.cached_property
    def encoded(self):
        return b" ".join([self.name.encode(), *(str(a).encode() for a in self.arguments)])


def execute(client, name, *arguments):
    request = CommandRequest(client, name, arguments)
    return client.send(request.encoded)
