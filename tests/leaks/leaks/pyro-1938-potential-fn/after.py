# Fixed shape of pyro-ppl/pyro#1938: the kernel gets a weak method, not a strong bound method.
import weakref


def _weak_method(method):
    ref = weakref.WeakMethod(method)

    def call(*args, **kwargs):
        return ref()(*args, **kwargs)

    return call


class Kernel:
    def __init__(self, potential_fn):
        self.potential_fn = potential_fn


class Inference:
    def __init__(self, data):
        self.data = data
        self.kernel = Kernel(potential_fn=_weak_method(self.potential_fn))

    def potential_fn(self, params):
        return sum((x - params) ** 2 for x in self.data)


def fit(data):
    return Inference(data)
