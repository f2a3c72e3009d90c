# Fixed shape of getsentry/seer#2512: the cache wraps a function without `self`, built per instance.
import functools


def _fetch(repo_name, token, path, sha):
    return b""


class RepoClient:
    def __init__(self, repo_name, token):
        self.repo_name = repo_name
        self.token = token
        self._cached_fetch = functools.lru_cache(maxsize=256)(_fetch)

    def get_file_content(self, path, sha):
        return self._cached_fetch(self.repo_name, self.token, path, sha)


def run_autofix(repo_name, token, paths, sha):
    client = RepoClient(repo_name, token)
    return [client.get_file_content(p, sha) for p in paths]
