# Fixed shape of nengo/nengo#1090: a weakref callback removes the value when its key dies.
import weakref


class WeakKeyIDDictionary:
    def __init__(self):
        self._keyrefs = {}
        self._keyvalues = {}

    def __setitem__(self, key, value):
        key_id = id(key)
        if key_id not in self._keyrefs:
            self._keyrefs[key_id] = weakref.ref(key, lambda _ref, key_id=key_id: self._remove(key_id))
        self._keyvalues[key_id] = value

    def _remove(self, key_id):
        self._keyrefs.pop(key_id, None)
        self._keyvalues.pop(key_id, None)

    def __getitem__(self, key):
        return self._keyvalues[id(key)]


class Parameter:
    def __init__(self, name):
        self.name = name
        self.data = WeakKeyIDDictionary()

    def __set__(self, instance, value):
        self.data[instance] = value
