# Fixed shape of pallets-eco/croniter#196: the expansion is recomputed (it is cheap).


def expand(expr_format, hash_id=None):
    return [field.split(",") for field in expr_format.split()]
