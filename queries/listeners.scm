; Listeners: calls by a plain or dotted name (RH501 keeps registration-style calls, whose names
; are configurable, so the names are checked in the rule, not here), and unregistration calls.
; `@name` is the callee's last name, `on` in `bus.on(...)`: what the rule asks about first.
(call
  function: [
    (identifier) @name
    (attribute
      attribute: (identifier) @name)
  ] @function
  arguments: (argument_list)) @call
