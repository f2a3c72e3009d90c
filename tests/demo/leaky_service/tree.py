"""Report sections: a report is a tree of sections, rendered to HTML or plain text."""
import html
import tempfile


class Section:
    """One section of a report. Large bodies are spooled to disk while the report is built."""

    def __init__(self, title):
        self.title = title
        self.parent = None
        self.subsections = []
        self.body = tempfile.SpooledTemporaryFile(max_size=1 << 20, mode="w+")

    def add(self, title):
        section = Section(title)
        # Leak: the child points back at its parent, which keeps the child: a cycle, and the
        # class has `__del__`. Reference counting never frees a finished report; only the cyclic
        # GC does, late, so the spooled files stay open until it runs (RH201).
        section.parent = self
        self.subsections.append(section)
        return section

    def write(self, text):
        self.body.write(text)

    def text(self):
        self.body.seek(0)
        return self.body.read()

    def depth(self):
        return 0 if self.parent is None else self.parent.depth() + 1

    def __del__(self):
        self.body.close()


class Renderer:
    def __init__(self, fmt="html"):
        # Leak: a bound method of the renderer stored on the renderer: every renderer is a
        # cycle that only the cyclic GC frees (RH202).
        self.render_section = self._render_html if fmt == "html" else self._render_text

    def render(self, root):
        return self.render_section(root)

    def _render_html(self, section):
        level = min(section.depth() + 1, 6)
        inner = "".join(self._render_html(child) for child in section.subsections)
        title = html.escape(section.title)
        body = html.escape(section.text())
        return f"<h{level}>{title}</h{level}><p>{body}</p>{inner}"

    def _render_text(self, section):
        indent = "  " * section.depth()
        inner = "".join(self._render_text(child) for child in section.subsections)
        return f"{indent}{section.title}\n{indent}{section.text()}\n{inner}"


def render_report(title, fmt="html"):
    """Serves one report request: a new report tree and a new renderer each time."""
    root = Section(title)
    return Renderer(fmt).render(root)
