# Look-alike seen in Flask: teardown functions registered by a decorator when the app is set up.
# Reproduction written for this corpus.


class App:
    def __init__(self):
        self.teardown_request_funcs = {}

    def teardown_request(self, f):
        self.teardown_request_funcs.setdefault(None, []).append(f)
        return f


app = App()


@app.teardown_request
def close_db(exc):
    pass
