# Look-alike seen in CPython's copy.deepcopy: a list default that is only compared by identity.
# Reproduction written for this corpus.


def lookup(memo, key, _nil=[]):
    y = memo.get(key, _nil)
    if y is not _nil:
        return y
    return None
