# Fixed shape of durdraw/durdraw#85: existing handlers are cleared before the new one is added.
import logging


class Frame:
    def __init__(self, width, height, log_path):
        self.width = width
        self.height = height
        self.logger = logging.getLogger("durdraw.frame")
        for handler in self.logger.handlers[:]:
            self.logger.removeHandler(handler)
            handler.close()
        self.logger.addHandler(logging.FileHandler(log_path))


def new_movie(frames, log_path):
    return [Frame(80, 24, log_path) for _ in range(frames)]
