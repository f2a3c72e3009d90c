# Shape of PyCQA/flake8#1573 ("fix memory leak caused by lru_cache of a method").
# Minimal reproduction written for this corpus; names are illustrative.
import functools


class StyleGuideManager:
    def __init__(self, options, style_guides):
        self.options = options
        self.style_guides = style_guides

    @functools.lru_cache(maxsize=None)  # <- keeps every manager alive
    def style_guide_for(self, filename):
        return max((g for g in self.style_guides if g.applies_to(filename)), key=lambda g: len(g.filename or ""))


def check_files(options, guides, filenames):
    manager = StyleGuideManager(options, guides)
    return [manager.style_guide_for(f) for f in filenames]
