; Ruby. Capture names: see src/indexer/extract.ts.

(class name: [(constant) (scope_resolution name: (_))] @name) @definition.class
(module name: [(constant) (scope_resolution name: (_))] @name) @definition.module
(method name: (_) @name) @definition.method
(singleton_method name: (_) @name) @definition.method
(assignment left: (constant) @name) @definition.constant

(call
  method: (identifier) @_m
  arguments: (argument_list . (string (string_content) @module))
  (#any-of? @_m "require" "require_relative" "load")) @import.commonjs

(method (body_statement (assignment left: (identifier) @name) @local.variable))
(method_parameters (identifier) @name @local.parameter)
