# Fixed shape of denisenkom/pytds#55: neither class defines __del__ any more.


class Cursor:
    def __init__(self, conn):
        self._conn = conn

    def close(self):
        self._conn = None


class Connection:
    def __init__(self, dsn):
        self.dsn = dsn
        self._active_cursor = None

    def cursor(self):
        cur = Cursor(self)
        self._active_cursor = cur
        return cur

    def close(self):
        self._active_cursor = None


def query(dsn, sql):
    conn = Connection(dsn)
    return conn.cursor()
