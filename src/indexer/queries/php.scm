; PHP. Capture names: see src/indexer/extract.ts.

(class_declaration name: (name) @name) @definition.class
(trait_declaration name: (name) @name) @definition.class
(interface_declaration name: (name) @name) @definition.interface
(enum_declaration name: (name) @name) @definition.enum
(function_definition name: (name) @name) @definition.function
(method_declaration name: (name) @name) @definition.method
(property_declaration (property_element (variable_name (name) @name))) @definition.property
(const_declaration (const_element (name) @name)) @definition.constant
(namespace_definition name: (namespace_name) @name) @definition.module

(namespace_use_clause [(qualified_name) (name)] @module) @import.es-module
(require_expression (string (string_content) @module)) @import.commonjs
(require_once_expression (string (string_content) @module)) @import.commonjs
(include_expression (string (string_content) @module)) @import.commonjs
(include_once_expression (string (string_content) @module)) @import.commonjs

(simple_parameter name: (variable_name (name) @name)) @local.parameter
