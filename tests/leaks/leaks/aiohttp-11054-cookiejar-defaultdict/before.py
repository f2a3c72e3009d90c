# Shape of aio-libs/aiohttp#11052, fixed by aio-libs/aiohttp#11054 ("Fix CookieJar memory leak in
# filter_cookies()"). Minimal reproduction written for this corpus.
import itertools
from collections import defaultdict


class CookieJar:
    def __init__(self):
        self._cookies = defaultdict(dict)  # <- a lookup of a missing key inserts it

    def update_cookies(self, domain, path, name, value):
        self._cookies[(domain, path)][name] = value

    def filter_cookies(self, hostname, path):
        filtered = {}
        domains = [hostname] + [hostname.split(".", i)[-1] for i in range(1, hostname.count(".") + 1)]
        paths = itertools.accumulate(path.split("/"), lambda a, b: f"{a}/{b}")
        for p in itertools.product(domains, paths):
            for name, value in self._cookies[p].items():  # <- inserts an empty dict per unseen pair
                filtered[name] = value
        return filtered
