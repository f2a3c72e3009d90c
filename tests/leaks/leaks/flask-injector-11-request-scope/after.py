# Fixed shape of python-injector/flask_injector#11: reset first, then clean up.
from werkzeug.local import Local, LocalManager


class RequestScope:
    def __init__(self):
        self._locals = Local()
        self._local_manager = LocalManager([self._locals])
        self._locals.scope = {}

    def reset(self):
        self._locals.scope = {}
        self._local_manager.cleanup()

    def get(self, key, provider):
        if key not in self._locals.scope:
            self._locals.scope[key] = provider()
        return self._locals.scope[key]
