; C. Capture names: see src/indexer/extract.ts.

(function_definition declarator: (function_declarator declarator: (identifier) @name)) @definition.function
(function_definition declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))) @definition.function
(declaration declarator: (function_declarator declarator: (identifier) @name)) @definition.function
(struct_specifier name: (type_identifier) @name body: (_)) @definition.class
(union_specifier name: (type_identifier) @name body: (_)) @definition.class
(enum_specifier name: (type_identifier) @name body: (_)) @definition.enum
(type_definition declarator: (type_identifier) @name) @definition.type
(preproc_def name: (identifier) @name) @definition.constant
(preproc_function_def name: (identifier) @name) @definition.function
(translation_unit (declaration declarator: [(identifier) @name (init_declarator declarator: (identifier) @name)]) @definition.variable)
(field_declaration declarator: (field_identifier) @name) @definition.property

(preproc_include path: [(string_literal) (system_lib_string)] @module) @import.es-module

(compound_statement (declaration declarator: [(identifier) @name (init_declarator declarator: (identifier) @name)]) @local.variable)
(parameter_declaration declarator: (identifier) @name) @local.parameter
