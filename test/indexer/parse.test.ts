import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Extracted } from '../../src/indexer/extract.ts';
import { defaultAssets } from '../../src/indexer/assets.ts';
import { compileGrammar } from '../../src/indexer/baseline.ts';
import { LANGUAGES, languageById, languageOf } from '../../src/indexer/languages.ts';
import { FileParser, wasmHeapBytes } from '../../src/indexer/parser.ts';
import { validateRecord } from '../../src/storage/index/records.ts';

const fixture = (rel: string): string =>
  readFileSync(fileURLToPath(new URL(`../fixtures/indexer/${rel}`, import.meta.url)), 'utf8');

/** `name:type:line` of each definition, as the fixtures are read by eye. */
const defs = (r: Extracted): string[] => r.definitions.map((d) => `${d.name}:${d.type}:${d.line}`);
const imports = (r: Extracted): string[] => r.imports.map((i) => `${i.module}:${i.type}:${i.line}`);

describe('indexer: parsing', () => {
  const parser = new FileParser(undefined, { locals: true });
  after(() => parser.dispose());

  const parse = async (rel: string): Promise<Extracted> => {
    const r = await parser.parse(languageOf(rel)!.id, fixture(rel));
    // Every extraction must be a record the importer accepts.
    validateRecord({ path: rel, size: 1, lastModified: 0, language: 'x', ...r });
    return r;
  };

  it('every shipped grammar loads on the pinned runtime and its query compiles', async () => {
    for (const spec of LANGUAGES) await parser.load(spec.id);
  });

  it('parses with a grammar compiled elsewhere (a pool’s), and asks for it by language', async () => {
    const asked: string[] = [];
    const module = compileGrammar(defaultAssets(), languageById('python'));
    const p = new FileParser(undefined, {
      grammar: (id) => {
        asked.push(id);
        return id === 'python' ? module : undefined;
      },
    });
    try {
      const r = await p.parse('python', 'class Given:\n    pass\n');
      assert.deepEqual(defs(r), ['Given:class:1']);
      assert.deepEqual(asked, ['python']);
    } finally {
      p.dispose();
    }
  });

  it('maps extensions to languages, case-insensitively, and skips the rest', () => {
    assert.equal(languageOf('src/a.TS')?.id, 'typescript');
    assert.equal(languageOf('a/b.tsx')?.id, 'tsx');
    assert.equal(languageOf('x.jsx')?.id, 'javascript');
    assert.equal(languageOf('lib/x.hpp')?.id, 'cpp');
    assert.equal(languageOf('include/x.h')?.id, 'cpp', '.h is read as C++, as ctags does');
    assert.equal(languageOf('src/x.c')?.id, 'c');
    assert.equal(languageOf('README.md'), undefined);
    assert.equal(languageOf('.eslintrc'), undefined);
  });

  it('TypeScript: classes, interfaces, types, enums, methods, constants, arrow functions, imports', async () => {
    const r = await parse('typescript/server.ts');
    assert.deepEqual(defs(r), [
      'DEFAULT_PORT:constant:6',
      'RequestContext:interface:8',
      'Handler:type:12',
      'Method:enum:14',
      'Router:class:22',
      'routes:property:23',
      'add:method:25',
      'handle:method:29',
      'listen:function:35',
      'start:function:39',
    ]);
    assert.deepEqual(imports(r), [
      'node:http:type-only:1',
      'node:http:es-module:2',
      './polyfills:side-effect:3',
    ]);
    const router = r.definitions.find((d) => d.name === 'Router')!;
    assert.equal(router.exported, true);
    assert.equal(router.docstring, 'Routes requests to handlers by path.');
    assert.equal(router.column, 13);
    assert.equal(r.definitions.find((d) => d.name === 'listen')!.exported, false);
    assert.equal(
      r.definitions.find((d) => d.name === 'handle')!.signature,
      'async handle(req: IncomingMessage): Promise<string>',
    );
    assert.ok(
      r.symbols.some((s) => s.name === 'handler' && s.kind === 'variable' && s.scope === 'handle'),
    );
  });

  it('TSX: functions that return JSX are components', async () => {
    const r = await parse('tsx/Button.tsx');
    assert.deepEqual(defs(r), [
      'ButtonProps:interface:3',
      'Button:component:8',
      'Panel:component:13',
      'formatLabel:function:15',
    ]);
    assert.equal(r.definitions[1]!.docstring, 'A button that counts its clicks.');
    assert.deepEqual(r.imports[0]!.names, ['React', 'useState']);
  });

  it('JavaScript: classes, private fields, require and top-level functions', async () => {
    const r = await parse('javascript/cache.js');
    assert.deepEqual(defs(r), [
      'fs:constant:2',
      'path:constant:3',
      'MAX_ENTRIES:constant:5',
      'DiskCache:class:8',
      '#entries:property:9',
      'constructor:method:11',
      'get:method:15',
      'createCache:function:21',
      'loadPlugin:function:25',
    ]);
    assert.deepEqual(imports(r), ['fs:commonjs:2', 'node:path:commonjs:3']);
  });

  it('Python: classes, methods, docstrings, module constants, from-imports', async () => {
    const r = await parse('python/shapes.py');
    assert.deepEqual(defs(r), [
      'PI_APPROX:constant:5',
      'registry:variable:6',
      'Circle:class:10',
      'radius:property:13',
      'area:method:15',
      '_scale:method:19',
      'register:function:24',
    ]);
    assert.equal(r.definitions[2]!.docstring, 'A circle with a radius.');
    assert.equal(r.definitions[5]!.exported, false, '_scale is private by convention');
    assert.deepEqual(imports(r), ['math:es-module:2', 'dataclasses:es-module:3']);
    assert.deepEqual(r.imports[1]!.names, ['dataclass', 'field']);
  });

  const cases: [string, string[], string[]][] = [
    [
      'go/store.go',
      [
        'ErrNotFound:variable:11',
        'maxKeys:constant:13',
        'Store:class:16',
        'mu:property:17',
        'data:property:18',
        'Getter:interface:22',
        'Key:type:26',
        'New:function:29',
        'Get:method:34',
      ],
      ['errors:es-module:4', 'sync:es-module:5', 'embed:side-effect:7'],
    ],
    [
      'rust/lib.rs',
      [
        'MAX_DEPTH:constant:5',
        'Node:class:8',
        'name:property:9',
        'children:property:10',
        'Kind:enum:13',
        'Visitor:interface:18',
        'visit:method:19',
        'leaf:method:24',
        'depth:method:29',
        'count:function:34',
        'tests:module:38',
      ],
      ['std::collections::HashMap:es-module:1', 'std::fmt::{self, Display}:es-module:2'],
    ],
    [
      'java/Inventory.java',
      [
        'Inventory:class:9',
        'MAX_STOCK:property:10',
        'stock:property:11',
        'Inventory:method:13',
        'add:method:17',
        'count:method:22',
        'Status:enum:26',
        'IN_STOCK:constant:26',
        'SOLD_OUT:constant:26',
        'Listener:interface:28',
        'changed:method:29',
      ],
      ['java.util.HashMap:es-module:3', 'java.util.Map:es-module:4'],
    ],
    [
      'c/buffer.c',
      [
        'BUFFER_MIN:constant:5',
        'MAX:function:6',
        'buffer:class:9',
        'len:property:11',
        'buffer_t:type:14',
        'mode:enum:16',
        'grow:function:18',
        'buffer_append:function:24',
      ],
      ['stdlib.h:es-module:1', 'string.h:es-module:2', 'buffer.h:es-module:3'],
    ],
    [
      'cpp/matrix.cpp',
      [
        'linalg:module:4',
        'Matrix:class:7',
        'at:method:10',
        'data_:property:13',
        'cols_:property:14',
        'at:method:17',
        'square:function:22',
        'Order:enum:27',
      ],
      ['vector:es-module:1', 'matrix.hpp:es-module:2'],
    ],
    [
      'csharp/Catalog.cs',
      [
        'Shop.Catalog:module:4',
        'Product:class:7',
        'IRepository:interface:9',
        'Find:method:11',
        'Catalog:class:14',
        'items:property:16',
        'Count:property:18',
        'Find:method:21',
        'Add:method:27',
        'Currency:enum:30',
        'Euro:constant:30',
        'Dollar:constant:30',
      ],
      ['System:es-module:1', 'System.Collections.Generic:es-module:2'],
    ],
    [
      'ruby/greeter.rb',
      [
        'Greetings:module:5',
        'DEFAULT_NAME:constant:6',
        'Greeter:class:8',
        'initialize:method:9',
        'greet:method:14',
        'shout:method:19',
      ],
      ['json:commonjs:1', 'helpers/format:commonjs:2'],
    ],
    [
      'php/UserService.php',
      [
        'App\\Services:module:2',
        'MAX_USERS:constant:9',
        'Finder:interface:11',
        'find:method:13',
        'UserService:class:19',
        'cache:property:21',
        'find:method:23',
        'remember:method:28',
        'format_user:function:34',
      ],
      [
        'App\\Models\\User:es-module:4',
        'Illuminate\\Support\\Collection:es-module:5',
        'helpers.php:commonjs:7',
      ],
    ],
  ];
  for (const [rel, expectedDefs, expectedImports] of cases) {
    it(`${rel.split('/')[0]}: definitions, kinds, lines and imports`, async () => {
      const r = await parse(rel);
      assert.deepEqual(defs(r), expectedDefs);
      assert.deepEqual(imports(r), expectedImports);
    });
  }

  it('local symbols only when asked: their patterns are disabled by default', async () => {
    const plain = new FileParser();
    try {
      const r = await plain.parse('go', fixture('go/store.go'));
      assert.deepEqual(r.symbols, []);
      assert.deepEqual(defs(r), defs(await parse('go/store.go')), 'definitions are the same');
      assert.ok((await parse('go/store.go')).symbols.length > 0);
    } finally {
      plain.dispose();
    }
  });

  it('a big source, matched a range at a time, gives every definition and import exactly once', async () => {
    // About 190,000 characters: three ranges. Non-ASCII text checks the index units.
    const unit = (i: number): string =>
      `import { dep${i} } from './m${i}';\n/** é */\nexport class Grow${i} { method${i}(): void {} }\n`;
    const source = Array.from({ length: 2500 }, (_, i) => unit(i)).join('');
    const r = await parser.parse('typescript', source);
    assert.equal(r.definitions.length, 5000);
    assert.equal(r.imports.length, 2500);
    assert.equal(new Set(r.definitions.map((d) => d.name)).size, 5000, 'no duplicates');
    assert.deepEqual(defs(r).slice(-2), ['Grow2499:class:7500', 'method2499:method:7500']);
  });

  it('a C++ header (.h) keeps its namespace, classes and methods', async () => {
    const r = await parse('cpp/widget.h');
    assert.deepEqual(defs(r), [
      'ui:module:5',
      'Widget:class:8',
      'render:method:12',
      'name_:property:15',
      'Size:class:18',
      'width:property:19',
      'height:property:20',
    ]);
    assert.deepEqual(imports(r), ['string:es-module:3']);
  });

  it('Flow-typed JavaScript (@flow) is read with the TSX grammar: its names are not lost', async () => {
    // The JavaScript grammar reads this file as syntax errors and finds only MAX_ITEMS.
    const r = await parser.parse('javascript', fixture('flow/store.js'));
    assert.deepEqual(defs(r), [
      'Item:type:9',
      'MAX_ITEMS:constant:14',
      'Store:class:16',
      'items:property:17',
      'add:method:19',
      'useStore:function:24',
      'StoreView:function:29',
    ]);
    assert.deepEqual(imports(r), ['react:type-only:6', 'react:es-module:7']);
  });

  it('exported and docstrings follow each language’s rules', async () => {
    const exported = async (rel: string): Promise<Record<string, boolean>> =>
      Object.fromEntries((await parse(rel)).definitions.map((d) => [d.name, d.exported]));
    assert.deepEqual(
      [(await exported('go/store.go')).Store, (await exported('go/store.go')).maxKeys],
      [true, false],
    );
    const rust = await exported('rust/lib.rs');
    assert.deepEqual([rust.leaf, rust.depth], [true, false]);
    const c = await exported('c/buffer.c');
    assert.deepEqual([c.buffer_append, c.grow], [true, false], 'static is file-local');
    const php = await exported('php/UserService.php');
    assert.deepEqual([php.UserService, php.remember], [true, false]);
    const go = await parse('go/store.go');
    assert.equal(
      go.definitions.find((d) => d.name === 'Get')!.docstring,
      'Get returns the value of key.',
    );
    const scope = go.symbols.find((s) => s.name === 's')!.scope;
    assert.equal(
      scope,
      'Get',
      'a receiver belongs to its method although it comes before the name',
    );
  });

  it('frees trees: ten thousand parses do not grow the WASM heap without bound', async () => {
    const source = fixture('typescript/server.ts');
    for (let i = 0; i < 300; i++) await parser.parse('typescript', source);
    const before = wasmHeapBytes();
    assert.ok(before > 0, 'the heap is measured');
    for (let i = 0; i < 2000; i++) await parser.parse('typescript', source);
    // Without tree.delete() each tree keeps tens of KiB of WASM memory: 2000 trees would add
    // tens of MiB. The heap may still grow a page or two from fragmentation.
    assert.ok(wasmHeapBytes() - before < 8 * 1024 * 1024);
  });

  it('wasmHeapBytes follows the heap as a large tree makes it grow', async () => {
    const before = wasmHeapBytes();
    const big = 'export class Grow { method(): void {} }\n'.repeat(40_000);
    await parser.parse('typescript', big);
    assert.ok(wasmHeapBytes() > before, 'a 1.6 MB source grows the heap');
  });
});
