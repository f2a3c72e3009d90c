"""Reports over datasets."""
import functools
import json


class Dataset:
    def __init__(self, path):
        with open(path) as f:
            self.rows = json.load(f)  # can be hundreds of megabytes

    # Leak: the cache lives as long as the class and holds `self`, so every Dataset
    # ever summarized stays in memory (RH302).
    @functools.lru_cache(maxsize=None)
    def summary(self):
        return {"count": len(self.rows), "first": self.rows[:1]}

    # Fine: the cached value lives on the instance and dies with it.
    @functools.cached_property
    def columns(self):
        return sorted({key for row in self.rows for key in row})


def render(dataset):
    summary = dataset.summary()
    return f"{summary['count']} rows, columns: {', '.join(dataset.columns)}"


def make_formatter(path):
    dataset = json.loads(open(path, encoding="utf-8").read())  # can be hundreds of megabytes
    # Leak: the returned closure captures the whole dataset for one field of it (RH102).
    def formatter(value):
        return f"{value} / {dataset['meta']['title']}"
    return formatter


def summarize(path):
    """Serves one summary request: a new Dataset each time."""
    return render(Dataset(path))
