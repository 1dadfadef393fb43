; TypeScript and TSX. Capture names: see src/indexer/extract.ts.

(class_declaration name: (type_identifier) @name) @definition.class
(abstract_class_declaration name: (type_identifier) @name) @definition.class
(interface_declaration name: (type_identifier) @name) @definition.interface
(type_alias_declaration name: (type_identifier) @name) @definition.type
(enum_declaration name: (identifier) @name) @definition.enum
(internal_module name: [(identifier) (nested_identifier)] @name) @definition.module
(function_declaration name: (identifier) @name) @definition.function
(generator_function_declaration name: (identifier) @name) @definition.function
(function_signature name: (identifier) @name) @definition.function
(method_definition name: [(property_identifier) (private_property_identifier)] @name) @definition.method
(abstract_method_signature name: (property_identifier) @name) @definition.method
(public_field_definition name: [(property_identifier) (private_property_identifier)] @name) @definition.property

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
(required_parameter pattern: (identifier) @name) @local.parameter
(optional_parameter pattern: (identifier) @name) @local.parameter
