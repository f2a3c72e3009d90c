# Look-alike seen in requests' Session.mount: a dict keyed by prefix, replaced on re-mount.
# Reproduction written for this corpus.
from collections import OrderedDict


class Session:
    def __init__(self, http_adapter, https_adapter):
        self.adapters = OrderedDict()
        self.mount("https://", https_adapter)
        self.mount("http://", http_adapter)

    def mount(self, prefix, adapter):
        self.adapters[prefix] = adapter
        keys_to_move = [k for k in self.adapters if len(k) < len(prefix)]
        for key in keys_to_move:
            self.adapters[key] = self.adapters.pop(key)

    def close(self):
        for adapter in self.adapters.values():
            adapter.close()
