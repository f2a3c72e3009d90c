# Fixed version (one way to fix it; cannatag/ldap3#529 has the project's change): the history keeps
# what it reports, not the exception object.
from datetime import datetime


class RestartableStrategy:
    def __init__(self, connection):
        self.connection = connection
        self.exception_history = []

    def open(self, address):
        try:
            self.connection.socket_connect(address)
        except OSError as exc:
            self.exception_history.append((datetime.now(), type(exc), str(exc)))
            raise


def connect(connection_factory, address):
    strategy = RestartableStrategy(connection_factory())
    strategy.open(address)
    return strategy
