; `only` as a property name (`it.only(…)`, `describe.only(…)`, `test.only.each(t)(…)`),
; and jest's focused aliases `fit` and `fdescribe`. The rule checks in code that the
; property belongs to a member whose root is a test function, and that the alias is
; called. (Single-node patterns: see await-async-expect.scm.)
((property_identifier) @only
  (#eq? @only "only"))

((identifier) @focused
  (#match? @focused "^(fit|fdescribe)$"))
