# Fixed version (one way to fix it; PyCQA/flake8#1573 has the project's change): a per-instance
# memo instead of a class-wide lru_cache.
class StyleGuideManager:
    def __init__(self, options, style_guides):
        self.options = options
        self.style_guides = style_guides
        self._style_guide_for = {}

    def style_guide_for(self, filename):
        if filename not in self._style_guide_for:
            self._style_guide_for[filename] = max(
                (g for g in self.style_guides if g.applies_to(filename)), key=lambda g: len(g.filename or "")
            )
        return self._style_guide_for[filename]


def check_files(options, guides, filenames):
    manager = StyleGuideManager(options, guides)
    return [manager.style_guide_for(f) for f in filenames]
