# Shape of sqlalchemy/sqlalchemy commit ce3bbfc ("fix reference cycles/ perf in DialectKWArgs"), which
# added a test_memusage cycle check. Minimal reproduction written for this corpus.


class PopulateDict(dict):
    def __init__(self, creator):
        self.creator = creator

    def __missing__(self, key):
        self[key] = val = self.creator(key)
        return val


class DialectKWArgs:
    def __init__(self, **kwargs):
        self._kwargs = kwargs
        self.dialect_options = PopulateDict(self._kw_reg_for_dialect_cls)  # <- self -> dict -> bound method -> self

    def _kw_reg_for_dialect_cls(self, dialect_name):
        return {"*": None}


class Index(DialectKWArgs):
    pass


def reflect_indexes(names):
    # one construct per reflected index
    return [Index(name=n) for n in names]
