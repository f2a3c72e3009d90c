# Fixed shape of icatproject/python-icat#121: the register holds its clients weakly.
import weakref


class Client:
    Register = weakref.WeakValueDictionary()

    def __init__(self, url):
        self.url = url
        self.sessionId = None
        self.Register[id(self)] = self

    @classmethod
    def cleanup(cls):
        for client in list(cls.Register.values()):
            client.logout()

    def logout(self):
        self.sessionId = None


def fetch(url):
    return Client(url)
