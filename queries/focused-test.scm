; `.only` on a test or suite (`it.only(…)`, `describe.only(…)`, `test.only.each(t)(…)`),
; and jest's focused aliases `fit(…)` and `fdescribe(…)`. The rule checks in code that
; the root of the callee is a test function.
(member_expression
  property: (property_identifier) @only
  (#eq? @only "only")) @member

(call_expression
  function: (identifier) @focused
  (#match? @focused "^(fit|fdescribe)$")) @call
