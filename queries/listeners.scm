; Listeners: method calls with arguments (RH501 keeps registration-style calls).
(call
  function: (attribute
    object: (_) @object
    attribute: (identifier) @method) @function
  arguments: (argument_list) @arguments) @call
