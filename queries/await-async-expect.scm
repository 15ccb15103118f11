; `expect(p).resolves` / `expect(p).rejects`: the start of an asynchronous assertion. The
; rule checks in code that the whole chain ends in a matcher call, that the call is a
; statement of its own (not awaited, returned or passed on) and where it sits.
(member_expression
  object: (call_expression
    function: (identifier) @expect
    (#eq? @expect "expect"))
  property: (property_identifier) @modifier
  (#match? @modifier "^(resolves|rejects)$")) @member
