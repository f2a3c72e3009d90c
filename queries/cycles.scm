; Cycles: class definitions (RH201 keeps those with `__del__` whose instances close a cycle;
; RH202 looks for bound methods and self-capturing closures stored on `self`).
(class_definition
  name: (identifier) @name
  body: (block) @body) @class

; Stores into an object, the edges a cycle is made of: `x.attr = value`, `x[key] = value`,
; `x.attr += value`. The rules decide whether `x` is reached from the instance and whether
; `value` holds it.
(assignment
  left: [
    (attribute object: (_) @object)
    (subscript value: (_) @object)
  ]
  right: (_) @value) @store
(augmented_assignment
  left: [
    (attribute object: (_) @object)
    (subscript value: (_) @object)
  ]
  right: (_) @value) @store

; Additions to a container: `x.append(value)`, `x.setdefault(key, value)`, ...
(call
  function: (attribute
    object: (_) @object
    attribute: (identifier) @method)
  arguments: (argument_list) @arguments
  (#any-of? @method "append" "appendleft" "add" "insert" "extend" "update" "setdefault")) @store
