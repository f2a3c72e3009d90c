; gc: calls of something named set_debug (RH601 keeps gc.set_debug with DEBUG_SAVEALL/DEBUG_LEAK).
(call
  function: [
    (identifier) @callee
    (attribute attribute: (identifier) @_method)
  ] @function
  arguments: (argument_list) @arguments
  (#match? @function "set_debug$")) @call
