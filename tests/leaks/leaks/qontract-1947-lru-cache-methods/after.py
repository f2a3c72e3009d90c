# Fixed version (one way to fix it; app-sre/qontract-reconcile#1947 has the project's change): the
# memo is per instance.
class AccountClient:
    def __init__(self, session):
        self.session = session
        self._accounts = {}

    def get_account(self, name):
        if name not in self._accounts:
            self._accounts[name] = self.session.get(f"/accounts/{name}")
        return self._accounts[name]


def reconcile(session_factory, names):
    client = AccountClient(session_factory())
    return [client.get_account(n) for n in names]
