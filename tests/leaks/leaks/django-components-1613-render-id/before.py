# Shape of django-components/django-components#1607, fixed by #1613: a dict on a process-wide
# extension object keyed by render id, never popped. Minimal reproduction written for this corpus.


class CacheExtension:
    def __init__(self):
        self.render_id_to_cache_key = {}  # <- one entry per render

    def on_component_input(self, ctx):
        cache_key = f"{ctx.component_cls.__name__}:{hash(ctx.args)}"
        self.render_id_to_cache_key[ctx.component_id] = cache_key  # <- added per render

    def on_component_rendered(self, ctx, cache):
        cache_key = self.render_id_to_cache_key[ctx.component_id]  # read, never removed
        cache.set(cache_key, ctx.result)


extension = CacheExtension()
