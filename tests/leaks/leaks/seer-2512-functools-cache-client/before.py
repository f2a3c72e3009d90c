# Shape of getsentry/seer#2512 ("Fix memory leak due to functools caches").
# Minimal reproduction written for this corpus; names are illustrative.
import functools


class RepoClient:
    def __init__(self, repo_name, token):
        self.repo_name = repo_name
        self.token = token

    @functools.cache  # <- unbounded, keyed by `self`
    def get_file_content(self, path, sha):
        return _fetch(self.repo_name, self.token, path, sha)


def _fetch(repo_name, token, path, sha):
    return b""


def run_autofix(repo_name, token, paths, sha):
    client = RepoClient(repo_name, token)  # one per run
    return [client.get_file_content(p, sha) for p in paths]
