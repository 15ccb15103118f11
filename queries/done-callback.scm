; A function passed to a call: the rule checks in code that the call is a test or hook
; (`it`, `test`, `beforeEach` …, not a suite or a `.each` table test), that the function is
; its callback, and what its first parameter (the `done` callback) is used for.
(call_expression
  arguments: (arguments
    [(arrow_function) (function_expression)] @callback)) @call
