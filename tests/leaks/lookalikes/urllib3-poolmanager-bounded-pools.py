# Look-alike seen in urllib3's PoolManager: pools per host kept in a bounded LRU container.
# Reproduction written for this corpus.
from collections import OrderedDict


class RecentlyUsedContainer:
    def __init__(self, maxsize=10, dispose_func=None):
        self._maxsize = maxsize
        self.dispose_func = dispose_func
        self._container = OrderedDict()

    def get(self, key):
        item = self._container.get(key)
        if item is not None:
            self._container.move_to_end(key)
        return item

    def __setitem__(self, key, value):
        self._container[key] = value
        if len(self._container) > self._maxsize:
            _key, evicted = self._container.popitem(last=False)
            if self.dispose_func:
                self.dispose_func(evicted)


class PoolManager:
    def __init__(self, num_pools=10):
        self.pools = RecentlyUsedContainer(num_pools, dispose_func=lambda p: p.close())

    def connection_from_host(self, scheme, host, port, pool_factory):
        key = (scheme, host, port)
        pool = self.pools.get(key)
        if pool is None:
            pool = pool_factory(host, port)
            self.pools[key] = pool
        return pool
