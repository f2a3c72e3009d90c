; Listeners: calls by a plain or dotted name (RH501 keeps registration-style calls, whose names
; are configurable, so the names are checked in the rule, not here), and unregistration calls.
(call
  function: [
    (identifier)
    (attribute)
  ] @function
  arguments: (argument_list)) @call
