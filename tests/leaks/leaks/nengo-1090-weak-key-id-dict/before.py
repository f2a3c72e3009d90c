# Shape of nengo/nengo#1089, fixed by nengo/nengo#1090 ("Fix memory leak in parameter system").
# Minimal reproduction written for this corpus.
import weakref


class WeakKeyIDDictionary:
    def __init__(self):
        self._keyrefs = weakref.WeakValueDictionary()
        self._keyvalues = {}

    def __setitem__(self, key, value):
        self._keyrefs[id(key)] = key
        self._keyvalues[id(key)] = value  # <- keyed by id, never removed when the key dies

    def __getitem__(self, key):
        return self._keyvalues[id(key)]


class Parameter:
    # one per parameter declared on a class: lives as long as the process
    def __init__(self, name):
        self.name = name
        self.data = WeakKeyIDDictionary()

    def __set__(self, instance, value):
        self.data[instance] = value
