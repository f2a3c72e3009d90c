# Shape of app-sre/qontract-reconcile#1947 ("fix a leak due to @lru_cache behavior on methods").
# Minimal reproduction written for this corpus; names are illustrative.
from functools import lru_cache


class AccountClient:
    def __init__(self, session):
        self.session = session

    @lru_cache()  # <- entries keep `self` (and its session)
    def get_account(self, name):
        return self.session.get(f"/accounts/{name}")


def reconcile(session_factory, names):
    client = AccountClient(session_factory())
    return [client.get_account(n) for n in names]
