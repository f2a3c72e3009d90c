# Fixed shape of spesmilo/electrum#10427: the manager keeps weak references to bound methods
# (one way to fix it; see the project for its exact patch).
import weakref
from collections import defaultdict


class CallbackManager:
    def __init__(self):
        self.callbacks = defaultdict(set)

    def register_callback(self, func, events):
        for event in events:
            self.callbacks[event].add(weakref.WeakMethod(func))

    def unregister_callback(self, func):
        for refs in self.callbacks.values():
            refs.discard(weakref.WeakMethod(func))


callback_mgr = CallbackManager()


class Wallet:
    def __init__(self, path):
        self.path = path
        callback_mgr.register_callback(self.on_event, ["adb_added_tx"])

    def on_event(self, event, *args):
        pass

    def stop(self):
        callback_mgr.unregister_callback(self.on_event)


def check_password_for_directory(paths, password):
    return [Wallet(p) for p in paths]
