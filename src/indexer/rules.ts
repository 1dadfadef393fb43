import type { Node } from 'web-tree-sitter';
import type { ImportType } from '../storage/types.ts';

/**
 * What the query files cannot say: which declarations are exported, where a docstring sits,
 * which functions are methods, and the finer import types of JavaScript.
 */
export interface LanguageRules {
  /** Nodes that wrap a declaration (export, decorators, templates): its comment sits above them. */
  wrappers: ReadonlySet<string>;
  /** A `definition.function` whose parent (past wrappers) passes this is a method. */
  methodParent(parent: Node): boolean;
  /** Python: the docstring is the first string of the body, not a comment above. */
  bodyDocstring?: boolean;
  /** `top()` is the statement in the file's root that holds `def` (walking up costs: ask only when needed). */
  exported(def: Node, name: string, top: () => Node): boolean;
  /** Refines the type a query gave an import (JavaScript: type-only, side-effect). */
  importType?(node: Node, declared: ImportType): ImportType;
}

const set = (...types: string[]): ReadonlySet<string> => new Set(types);

const hasModifier = (def: Node, word: RegExp): boolean =>
  def.children.some(
    (c) =>
      c !== null &&
      (c.type === 'modifiers' || c.type === 'modifier' || c.type === 'visibility_modifier') &&
      word.test(c.text),
  );

const jsRules: LanguageRules = {
  wrappers: set(
    'export_statement',
    'lexical_declaration',
    'variable_declaration',
    'ambient_declaration',
  ),
  methodParent: (p) => p.type === 'class_body',
  // A member is as exported as the top-level statement that holds it.
  exported: (_def, _name, top) => top().type === 'export_statement',
  importType(node, declared) {
    if (declared !== 'es-module' || node.type !== 'import_statement') return declared;
    if (node.children.some((c) => c?.type === 'type')) return 'type-only';
    if (!node.children.some((c) => c?.type === 'import_clause')) return 'side-effect';
    return declared;
  },
};

const cLike = (): LanguageRules => ({
  wrappers: set('template_declaration', 'declaration'),
  methodParent: (p) => p.type === 'field_declaration_list',
  exported: (def) =>
    !def.children.some((c) => c?.type === 'storage_class_specifier' && c.text === 'static'),
});

export const RULES: Record<string, LanguageRules> = {
  typescript: jsRules,
  tsx: jsRules,
  javascript: jsRules,
  python: {
    wrappers: set('decorated_definition'),
    methodParent: (p) => p.type === 'block' && p.parent?.type === 'class_definition',
    bodyDocstring: true,
    exported: (_def, name) => !name.startsWith('_'),
  },
  go: {
    wrappers: set('type_declaration', 'const_declaration', 'var_declaration'),
    methodParent: () => false,
    exported: (_def, name) => /^\p{Lu}/u.test(name),
  },
  rust: {
    wrappers: set(),
    methodParent: (p) => p.type === 'declaration_list',
    exported: (def) => hasModifier(def, /^pub\b/),
  },
  java: {
    wrappers: set(),
    methodParent: () => false,
    exported: (def) => hasModifier(def, /\bpublic\b/),
  },
  c: cLike(),
  cpp: cLike(),
  csharp: {
    wrappers: set(),
    methodParent: () => false,
    exported: (def) => hasModifier(def, /\bpublic\b/),
  },
  ruby: {
    wrappers: set(),
    methodParent: () => false,
    exported: (_def, name) => !name.startsWith('_'),
  },
  php: {
    wrappers: set(),
    methodParent: () => false,
    exported: (def) => !hasModifier(def, /\b(private|protected)\b/),
  },
};
