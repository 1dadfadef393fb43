import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  loadMigrations,
  migrationChecksum,
  parseChunks,
} from '../../../src/storage/migrations/loader.ts';
import { BASIC, writeMigrations } from '../../fixtures/migrations.ts';
import { tempDir, throwsWith } from '../../helpers.ts';

describe('migrations loader', () => {
  const dir = tempDir('mig');

  it('loads versions in order with descriptions and sha256 checksums of the files', () => {
    const migrations = loadMigrations(writeMigrations(dir(), BASIC));
    assert.deepEqual(
      migrations.map((m) => [m.version, m.name, m.description]),
      [
        [1, 'initial', 'Bookkeeping and items'],
        [2, 'add_notes', 'Notes per item'],
        [3, 'add_copies', 'A copy of every item, filled in batches'],
      ],
    );
    assert.equal(
      migrations[0]!.checksum,
      migrationChecksum(BASIC['001_initial.up.sql']!, BASIC['001_initial.down.sql']!),
    );
    assert.match(migrations[0]!.checksum, /^sha256:[0-9a-f]{64}$/);
  });

  it('gives a CRLF checkout the same checksums and LF SQL', () => {
    const lf = loadMigrations(writeMigrations(join(dir(), 'lf'), BASIC));
    const crlf = Object.fromEntries(
      Object.entries(BASIC).map(([k, v]) => [k, `\uFEFF${v.replace(/\n/g, '\r\n')}`]),
    );
    const loaded = loadMigrations(writeMigrations(join(dir(), 'crlf'), crlf));
    assert.deepEqual(
      loaded.map((m) => m.checksum),
      lf.map((m) => m.checksum),
    );
    assert.ok(!loaded[0]!.up.includes('\r'));
  });

  it('refuses bad names, duplicates, gaps and missing downs, naming the file', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ ...BASIC, '4_bad.up.sql': '' }, /"4_bad.up.sql" does not follow/],
      [
        { ...BASIC, '002_other.up.sql': '', '002_other.down.sql': '' },
        /Duplicate migration version 002/,
      ],
      [{ ...BASIC, '005_late.up.sql': '', '005_late.down.sql': '' }, /Migration 004 is missing/],
      [{ ...BASIC, '004_no_down.up.sql': 'SELECT 1;' }, /004_no_down has no .down.sql/],
      [{ ...BASIC, '004_no_up.down.sql': 'SELECT 1;' }, /004_no_up has no .up.sql/],
      [{ '000_zero.up.sql': '', '000_zero.down.sql': '' }, /versions start at 001/],
    ];
    cases.forEach(([files, message], i) => {
      const err = throwsWith(
        () => loadMigrations(writeMigrations(join(dir(), String(i)), files)),
        'MIGRATION_INVALID',
      );
      assert.match(err.message, message);
    });
  });

  it('splits repeat blocks and rejects malformed directives', () => {
    const chunks = parseChunks(BASIC['003_add_copies.up.sql']!);
    assert.deepEqual(
      chunks.map((c) => c.kind),
      ['sql', 'repeat'],
    );
    assert.equal(chunks[1]!.kind === 'repeat' && chunks[1]!.totalSql, 'SELECT count(*) FROM items');
    assert.throws(
      () => parseChunks('-- codeidx:repeat total: SELECT 1\nSELECT 1;'),
      /no `-- codeidx:end`/,
    );
    assert.throws(() => parseChunks('-- codeidx:end'), /without a repeat block/);
    assert.throws(() => parseChunks('-- codeidx:bogus'), /Unknown directive/);
  });
});
