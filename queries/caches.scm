; Caches: decorated definitions (RH302 keeps those that are methods decorated with
; functools.lru_cache / functools.cache; the scope model says whether the def is in a class body).
(decorated_definition
  definition: (function_definition
    name: (identifier) @name)) @definition
