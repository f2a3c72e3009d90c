# Shape of xmpppy/xmpppy#102 ("Remove Stanza once callback called to avoid memory ballooning").
# Minimal reproduction written for this corpus.


class Dispatcher:
    def __init__(self, owner):
        self._owner = owner
        self._expected = {}  # <- one entry per request id, forever

    def send_and_call_for_response(self, stanza, func, args=None):
        id = self.send(stanza)
        self._expected[id] = (func, args or {})  # <- added per request
        return id

    def dispatch(self, stanza):
        id = stanza.get_id()
        if id in self._expected:
            func, args = self._expected[id]
            self._expected[id] = stanza  # reply stored, entry kept
            func(self, stanza, **args)

    def send(self, stanza):
        return stanza.get_id()
