; JavaScript and JSX. Capture names: see src/indexer/extract.ts.

(class_declaration name: (identifier) @name) @definition.class
(function_declaration name: (identifier) @name) @definition.function
(generator_function_declaration name: (identifier) @name) @definition.function
(method_definition name: [(property_identifier) (private_property_identifier)] @name) @definition.method
(field_definition property: [(property_identifier) (private_property_identifier)] @name) @definition.property

; Top-level variables: functions when their value is one, else constants or variables.
(program (lexical_declaration (variable_declarator name: (identifier) @name) @definition.variable))
(program (variable_declaration (variable_declarator name: (identifier) @name) @definition.variable))
(program (export_statement declaration: (lexical_declaration (variable_declarator name: (identifier) @name) @definition.variable)))

(import_statement source: (string (string_fragment) @module)) @import.es-module
(export_statement source: (string (string_fragment) @module)) @import.es-module
(call_expression
  function: (identifier) @_require
  arguments: (arguments . (string (string_fragment) @module))
  (#eq? @_require "require")) @import.commonjs
(call_expression
  function: (import)
  arguments: (arguments . (string (string_fragment) @module))) @import.dynamic

(statement_block (lexical_declaration (variable_declarator name: (identifier) @name) @local.variable))
(statement_block (variable_declaration (variable_declarator name: (identifier) @name) @local.variable))
(formal_parameters (identifier) @name @local.parameter)
