; `jest.spyOn(…)` / `vi.spyOn(…)` calls (the rule checks in code that the object is
; `jest` or `vi`), every use of `restoreAllMocks` / `mockRestore` (a call, or a reference
; such as `afterEach(jest.restoreAllMocks)`; the rule checks it sits in an `afterEach` or
; `afterAll`), and mock configurations (`.mockReturnValue(…)` …) whose place matters.
(call_expression
  function: (member_expression
    object: (identifier) @object
    property: (property_identifier) @spy
    (#eq? @spy "spyOn"))) @call

(member_expression
  property: (property_identifier) @restore
  (#match? @restore "^(restoreAllMocks|mockRestore)$")) @member

(call_expression
  function: (member_expression
    property: (property_identifier) @configure
    (#match? @configure "^(mockImplementation|mockImplementationOnce|mockReturnValue|mockReturnValueOnce|mockResolvedValue|mockResolvedValueOnce|mockRejectedValue|mockRejectedValueOnce|mockReturnThis|replaceProperty)$"))) @configured
