; Module mocks: `mock` as a property name. The rule checks in code that it is the callee
; `vi.mock` / `jest.mock` of a call with an argument list, where the call sits (top level
; or inside a test/hook) and what its factory references. (Single-node patterns: see
; await-async-expect.scm.)
((property_identifier) @method
  (#eq? @method "mock"))
