; Python. Capture names: see src/indexer/extract.ts.

(class_definition name: (identifier) @name) @definition.class
(function_definition name: (identifier) @name) @definition.function
(module (expression_statement (assignment left: (identifier) @name) @definition.variable))
(class_definition body: (block (expression_statement (assignment left: (identifier) @name) @definition.property)))

(import_statement name: [(dotted_name) @module (aliased_import name: (dotted_name) @module)]) @import.es-module
(import_from_statement module_name: [(dotted_name) (relative_import)] @module) @import.es-module

(function_definition body: (block (expression_statement (assignment left: (identifier) @name) @local.variable)))
(parameters (identifier) @name @local.parameter)
(parameters (typed_parameter (identifier) @name) @local.parameter)
(parameters (default_parameter name: (identifier) @name) @local.parameter)
