# Look-alike seen in CPython's string.Template.substitute: a closure passed to re.sub.
# Reproduction written for this corpus.
import json
import re

_pattern = re.compile(r"\$(\w+)")


def substitute(template, path):
    with open(path) as f:
        mapping = json.load(f)

    def convert(mo):
        return str(mapping[mo.group(1)])

    return _pattern.sub(convert, template)
