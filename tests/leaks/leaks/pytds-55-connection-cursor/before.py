# Shape of denisenkom/pytds#55 ("Circular reference between Connection and Cursor"), fixed by
# removing both __del__ methods. Minimal reproduction written for this corpus.


class Cursor:  # <- class with __del__ in a cycle
    def __init__(self, conn):
        self._conn = conn  # <- cursor -> connection

    def close(self):
        self._conn = None

    def __del__(self):
        self.close()


class Connection:  # <- class with __del__ in a cycle
    def __init__(self, dsn):
        self.dsn = dsn
        self._active_cursor = None

    def cursor(self):
        cur = Cursor(self)
        self._active_cursor = cur  # <- connection -> cursor -> connection
        return cur

    def close(self):
        self._active_cursor = None

    def __del__(self):
        self.close()


def query(dsn, sql):
    conn = Connection(dsn)
    return conn.cursor()
