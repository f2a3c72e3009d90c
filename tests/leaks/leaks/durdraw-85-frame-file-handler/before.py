# Shape of durdraw/durdraw#85 ("Logging fix duplicates"): each Frame added a FileHandler to the
# shared "durdraw.frame" logger. Minimal reproduction written for this corpus.
import logging


class Frame:
    def __init__(self, width, height, log_path):
        self.width = width
        self.height = height
        self.logger = logging.getLogger("durdraw.frame")
        self.logger.addHandler(logging.FileHandler(log_path))  # <- one handler per Frame


def new_movie(frames, log_path):
    return [Frame(80, 24, log_path) for _ in range(frames)]
