; A statement: the rule checks in code that it is `obj.method = <call>` /
; `obj['method'] = <call>` and that the call is `jest.fn(…)` / `vi.fn(…)`, possibly
; followed by `.mock…(…)` calls (`jest.fn().mockReturnValue(1)`). (Single-node
; patterns: see await-async-expect.scm.)
(expression_statement) @statement
