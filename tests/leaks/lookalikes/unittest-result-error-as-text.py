# Look-alike seen in CPython's unittest.TestResult: errors are stored as strings.
# Reproduction written for this corpus.
import traceback


class TestResult:
    def __init__(self):
        self.errors = []

    def add_error(self, test, err):
        exctype, value, tb = err
        self.errors.append((test, "".join(traceback.format_exception(exctype, value, tb))))

    def run(self, test):
        try:
            test()
        except Exception as exc:
            self.add_error(test, (type(exc), exc, exc.__traceback__))
