; Thread locals: calls of something named `local` (RH401 keeps `threading.local()`).
(call
  function: [
    (identifier) @_callee
    (attribute attribute: (identifier) @_method)
  ] @function
  (#match? @function "local$")) @call
