# Fixed shape of aio-libs/aiohttp#11054: pairs with no cookies are skipped, nothing is inserted.
import itertools
from collections import defaultdict


class CookieJar:
    def __init__(self):
        self._cookies = defaultdict(dict)

    def update_cookies(self, domain, path, name, value):
        self._cookies[(domain, path)][name] = value

    def filter_cookies(self, hostname, path):
        filtered = {}
        domains = [hostname] + [hostname.split(".", i)[-1] for i in range(1, hostname.count(".") + 1)]
        paths = itertools.accumulate(path.split("/"), lambda a, b: f"{a}/{b}")
        for p in itertools.product(domains, paths):
            if p not in self._cookies:
                continue
            for name, value in self._cookies[p].items():
                filtered[name] = value
        return filtered
