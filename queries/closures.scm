; Closures: every nested function and lambda (RH101/RH102 keep those that escape their defining
; function and capture something, as the scope model says).
(function_definition
  name: (identifier) @name) @function
(lambda) @lambda
