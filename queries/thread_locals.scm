; Thread locals: calls of something named `local` (RH401 keeps `threading.local()`).
(call
  function: [
    (identifier) @_callee
    (attribute attribute: (identifier) @_method)
  ] @function
  (#match? @function "local$")) @call
; Thread-local subclasses: `class Context(threading.local)` (RH401 treats `Context()` like
; `threading.local()`).
(class_definition
  name: (identifier) @local_class_name
  superclasses: (argument_list)) @local_class
; Pool submissions: `pool.submit(fn, ...)`, `pool.map(fn, ...)`, `loop.run_in_executor(pool, fn)`,
; `asyncio.to_thread(fn)` (RH401 keeps those whose receiver is a thread pool).
; The methods are SUBMITTING_METHODS (server/src/analysis/semantic/thread_local.rs) and the two
; above; a unit test there keeps the lists equal.
(call
  function: (attribute
    object: (_) @pool
    attribute: (identifier) @pool_method)
  arguments: (argument_list) @pool_arguments
  (#any-of? @pool_method "submit" "map" "apply" "apply_async" "map_async" "imap" "imap_unordered"
    "starmap" "starmap_async" "run_in_executor" "to_thread")) @pool_call
