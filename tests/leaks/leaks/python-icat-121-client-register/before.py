# Shape of icatproject/python-icat#111, fixed by #121 ("Use a weakref.WeakValueDictionary in
# client.Register"). Minimal reproduction written for this corpus.


class Client:
    Register = {}  # <- process-wide registry of every client

    def __init__(self, url):
        self.url = url
        self.sessionId = None
        self.Register[id(self)] = self  # <- strong reference, never removed

    @classmethod
    def cleanup(cls):
        for client in list(cls.Register.values()):
            client.logout()

    def logout(self):
        self.sessionId = None


def fetch(url):
    return Client(url)
