# Fixed shape of django-components/django-components#1613: the entry is popped after use.


class CacheExtension:
    def __init__(self):
        self.render_id_to_cache_key = {}

    def on_component_input(self, ctx):
        cache_key = f"{ctx.component_cls.__name__}:{hash(ctx.args)}"
        self.render_id_to_cache_key[ctx.component_id] = cache_key

    def on_component_rendered(self, ctx, cache):
        cache_key = self.render_id_to_cache_key.pop(ctx.component_id, None)
        if cache_key is not None:
            cache.set(cache_key, ctx.result)


extension = CacheExtension()
