; `resolves` / `rejects` as a property name: the rule checks in code that it is the
; `expect(p).resolves` of an asynchronous assertion, that the whole chain ends in a
; matcher call, that the call is a statement of its own (not awaited, returned or passed
; on) and where it sits. (Single-node patterns: tree-sitter compiles them several times
; faster than nested ones, and dash compiles each query once per run.)
((property_identifier) @modifier
  (#match? @modifier "^(resolves|rejects)$"))
