; Caches: decorated definitions (RH302 keeps those that are methods decorated with
; functools.lru_cache / functools.cache; the scope model says whether the def is in a class body).
(decorated_definition
  definition: (function_definition
    name: (identifier) @name)) @definition
; Unbounded caches: a name bound to a container literal, comprehension or call (RH301 keeps
; dict/list/set and the `collections` containers bound at module or class level).
(assignment
  left: (identifier) @cache_target
  right: [
    (dictionary)
    (list)
    (set)
    (dictionary_comprehension)
    (list_comprehension)
    (set_comprehension)
    (call)
  ] @cache_value) @cache_binding
