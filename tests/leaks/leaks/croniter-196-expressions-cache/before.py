# Shape of pallets-eco/croniter#195, fixed by #196 ("fix mem leak by removing EXPRESSIONS global
# dict cache"). Minimal reproduction written for this corpus.
EXPRESSIONS = {}  # <- module-level, only grows


def expand(expr_format, hash_id=None):
    key = (expr_format, hash_id)
    if key in EXPRESSIONS:
        return EXPRESSIONS[key]
    expanded = [field.split(",") for field in expr_format.split()]
    EXPRESSIONS[key] = expanded  # <- one entry per distinct expression
    return expanded
