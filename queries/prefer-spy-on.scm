; `obj.method = <call>` / `obj['method'] = <call>` as a statement of its own. The rule
; checks in code that the call is `jest.fn(…)` / `vi.fn(…)`, possibly followed by
; `.mock…(…)` calls (`jest.fn().mockReturnValue(1)`).
(expression_statement
  (assignment_expression
    left: [(member_expression) (subscript_expression)] @left
    right: (call_expression) @right) @assignment)
