# Shape of spesmilo/electrum#10427, fixed by spesmilo/electrum#10428 ("fix util.CallbackManager
# memory leak"). Minimal reproduction written for this corpus.
from collections import defaultdict


class CallbackManager:
    def __init__(self):
        self.callbacks = defaultdict(list)

    def register_callback(self, func, events):
        for event in events:
            self.callbacks[event].append(func)

    def unregister_callback(self, func):
        for funcs in self.callbacks.values():
            if func in funcs:
                funcs.remove(func)


callback_mgr = CallbackManager()


class Wallet:
    def __init__(self, path):
        self.path = path
        callback_mgr.register_callback(self.on_event, ["adb_added_tx"])  # <- strong, process-wide

    def on_event(self, event, *args):
        pass

    def stop(self):
        callback_mgr.unregister_callback(self.on_event)


def check_password_for_directory(paths, password):
    # builds a wallet per file and never calls stop()
    return [Wallet(p) for p in paths]
