# Shape of zauberzeug/rosys#436, fixed by zauberzeug/rosys#443 ("Derive the shutdown handler lifetime
# from the handler type"). Minimal reproduction written for this corpus.
shutdown_handlers = []


def on_shutdown(handler):
    shutdown_handlers.append(handler)


class Automator:
    def __init__(self, steerer):
        self.steerer = steerer
        self.automation = None
        on_shutdown(self.stop)  # <- strong, process-wide, never removed

    def stop(self):
        self.automation = None


def build_page(steerer):
    # called for every page view
    return Automator(steerer)
