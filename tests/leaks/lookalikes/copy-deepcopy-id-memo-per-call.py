# Look-alike seen in CPython's copy.deepcopy: an id()-keyed memo that lives for one call.
# Reproduction written for this corpus.


def deep_copy(x, memo=None):
    if memo is None:
        memo = {}
    d = id(x)
    if d in memo:
        return memo[d]
    if isinstance(x, list):
        y = []
        memo[d] = y
        y.extend(deep_copy(item, memo) for item in x)
    else:
        y = x
        memo[d] = y
    return y
