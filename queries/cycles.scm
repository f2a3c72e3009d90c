; Cycles: class definitions (RH201 keeps those with `__del__` whose instances close a cycle;
; RH202 looks for bound methods and self-capturing closures stored on `self`).
(class_definition
  name: (identifier) @name
  body: (block) @body) @class
