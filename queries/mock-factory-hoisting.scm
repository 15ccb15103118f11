; Module mocks: `vi.mock(…)` and `jest.mock(…)`. The rule checks in code where the call
; sits (top level or inside a test/hook) and what its factory references.
(call_expression
  function: (member_expression
    object: (identifier) @object
    property: (property_identifier) @method)
  arguments: (arguments) @arguments
  (#match? @object "^(vi|jest)$")
  (#eq? @method "mock")) @call
