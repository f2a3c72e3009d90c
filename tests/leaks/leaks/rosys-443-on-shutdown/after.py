# Fixed shape of zauberzeug/rosys#443: a bound method is held weakly and a dead entry removes itself.
import weakref

shutdown_handlers = []


def on_shutdown(handler):
    if hasattr(handler, "__self__"):
        ref = weakref.WeakMethod(handler, lambda r: shutdown_handlers.remove(r))
        shutdown_handlers.append(ref)
    else:
        shutdown_handlers.append(handler)


class Automator:
    def __init__(self, steerer):
        self.steerer = steerer
        self.automation = None
        on_shutdown(self.stop)

    def stop(self):
        self.automation = None


def build_page(steerer):
    return Automator(steerer)
