# Fixed shape of sqlalchemy/sqlalchemy commit ce3bbfc: the factory is a classmethod, so the dict does
# not hold the instance.


class PopulateDict(dict):
    def __init__(self, creator):
        self.creator = creator

    def __missing__(self, key):
        self[key] = val = self.creator(key)
        return val


class DialectKWArgs:
    def __init__(self, **kwargs):
        self._kwargs = kwargs
        self.dialect_options = PopulateDict(self._kw_reg_for_dialect_cls)

    @classmethod
    def _kw_reg_for_dialect_cls(cls, dialect_name):
        return {"*": None}


class Index(DialectKWArgs):
    pass


def reflect_indexes(names):
    return [Index(name=n) for n in names]
