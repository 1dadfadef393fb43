; Go. Capture names: see src/indexer/extract.ts.

(function_declaration name: (identifier) @name) @definition.function
(method_declaration name: (field_identifier) @name) @definition.method
(type_spec name: (type_identifier) @name type: (struct_type)) @definition.class
(type_spec name: (type_identifier) @name type: (interface_type)) @definition.interface
(type_spec name: (type_identifier) @name type: [(type_identifier) (qualified_type) (pointer_type) (function_type) (map_type) (slice_type) (array_type) (channel_type) (generic_type)]) @definition.type
(type_alias name: (type_identifier) @name) @definition.type
(source_file (const_declaration (const_spec name: (identifier) @name) @definition.constant))
(source_file (var_declaration (var_spec name: (identifier) @name) @definition.variable))
(field_declaration_list (field_declaration name: (field_identifier) @name) @definition.property)

(import_spec !name path: (interpreted_string_literal) @module) @import.es-module
(import_spec name: (package_identifier) @import.name path: (interpreted_string_literal) @module) @import.es-module
(import_spec name: (blank_identifier) path: (interpreted_string_literal) @module) @import.side-effect
(import_spec name: (dot) path: (interpreted_string_literal) @module) @import.es-module

(short_var_declaration left: (expression_list (identifier) @name)) @local.variable
(var_declaration (var_spec name: (identifier) @name) @local.variable)
(parameter_declaration name: (identifier) @name) @local.parameter
