# Fixed shape of xmpppy/xmpppy#102: the entry is deleted when its callback runs.


class Dispatcher:
    def __init__(self, owner):
        self._owner = owner
        self._expected = {}

    def send_and_call_for_response(self, stanza, func, args=None):
        id = self.send(stanza)
        self._expected[id] = (func, args or {})
        return id

    def dispatch(self, stanza):
        id = stanza.get_id()
        if id in self._expected:
            func, args = self._expected.pop(id)
            func(self, stanza, **args)

    def send(self, stanza):
        return stanza.get_id()
