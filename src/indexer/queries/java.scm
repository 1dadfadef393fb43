; Java. Capture names: see src/indexer/extract.ts.

(class_declaration name: (identifier) @name) @definition.class
(record_declaration name: (identifier) @name) @definition.class
(interface_declaration name: (identifier) @name) @definition.interface
(annotation_type_declaration name: (identifier) @name) @definition.interface
(enum_declaration name: (identifier) @name) @definition.enum
(method_declaration name: (identifier) @name) @definition.method
(constructor_declaration name: (identifier) @name) @definition.method
(field_declaration declarator: (variable_declarator name: (identifier) @name)) @definition.property
(constant_declaration declarator: (variable_declarator name: (identifier) @name)) @definition.constant
(enum_constant name: (identifier) @name) @definition.constant

(import_declaration [(scoped_identifier) (identifier)] @module) @import.es-module

(local_variable_declaration declarator: (variable_declarator name: (identifier) @name)) @local.variable
(formal_parameter name: (identifier) @name) @local.parameter
