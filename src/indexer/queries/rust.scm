; Rust. Capture names: see src/indexer/extract.ts.

(function_item name: (identifier) @name) @definition.function
(function_signature_item name: (identifier) @name) @definition.method
(struct_item name: (type_identifier) @name) @definition.class
(union_item name: (type_identifier) @name) @definition.class
(enum_item name: (type_identifier) @name) @definition.enum
(trait_item name: (type_identifier) @name) @definition.interface
(type_item name: (type_identifier) @name) @definition.type
(const_item name: (identifier) @name) @definition.constant
(static_item name: (identifier) @name) @definition.constant
(mod_item name: (identifier) @name) @definition.module
(macro_definition name: (identifier) @name) @definition.function
(field_declaration_list (field_declaration name: (field_identifier) @name) @definition.property)

(use_declaration argument: (_) @module) @import.es-module
(extern_crate_declaration name: (identifier) @module) @import.es-module

(let_declaration pattern: (identifier) @name) @local.variable
(parameter pattern: (identifier) @name) @local.parameter
