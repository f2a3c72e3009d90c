# Shape of cannatag/ldap3#529 ("Reference cycles in RestartableStrategy", labelled fixed):
# caught exceptions were kept in a list on the strategy. Minimal reproduction written for this corpus.
from datetime import datetime


class RestartableStrategy:
    def __init__(self, connection):
        self.connection = connection
        self.exception_history = []

    def open(self, address):
        try:
            self.connection.socket_connect(address)
        except OSError as exc:
            self.exception_history.append((datetime.now(), type(exc), exc))  # <- exception kept on self
            raise


def connect(connection_factory, address):
    strategy = RestartableStrategy(connection_factory())
    strategy.open(address)
    return strategy
