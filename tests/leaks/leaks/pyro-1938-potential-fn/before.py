# Shape described in pyro-ppl/pyro#1938 ("Add @weakmethod decorator to avoid memory leaks"):
# an object builds a helper with one of its own bound methods and keeps the helper.
# Minimal reproduction written for this corpus.


class Kernel:
    def __init__(self, potential_fn):
        self.potential_fn = potential_fn


class Inference:
    def __init__(self, data):
        self.data = data
        self.kernel = Kernel(potential_fn=self.potential_fn)  # <- self -> kernel -> bound method -> self

    def potential_fn(self, params):
        return sum((x - params) ** 2 for x in self.data)


def fit(data):
    return Inference(data)
