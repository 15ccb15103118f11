; The property names the rule looks at: `spyOn` (the rule checks in code that it is
; `jest.spyOn(…)` / `vi.spyOn(…)`), `restoreAllMocks` / `mockRestore` (a call, or a
; reference such as `afterEach(jest.restoreAllMocks)`; the rule checks it sits in an
; `afterEach` or `afterAll`), and the mock configurations (`.mockReturnValue(…)` …)
; whose place matters. (Single-node patterns: see await-async-expect.scm.)
((property_identifier) @property
  (#match? @property "^(spyOn|restoreAllMocks|mockRestore|mockImplementation|mockImplementationOnce|mockReturnValue|mockReturnValueOnce|mockResolvedValue|mockResolvedValueOnce|mockRejectedValue|mockRejectedValueOnce|mockReturnThis|replaceProperty)$"))
