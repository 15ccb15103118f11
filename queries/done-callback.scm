; A call: the rule checks in code that it is a test or hook (`it`, `test`, `beforeEach`
; …, not a suite or a `.each` table test), takes a function as its callback, and what
; that function's first parameter (the `done` callback) is used for. (Single-node
; patterns: see await-async-expect.scm.)
(call_expression) @call
