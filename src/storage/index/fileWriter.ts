/** Writing one indexer record's rows: the file row and its definitions, imports, symbols, tags. */
import type { Statement } from 'better-sqlite3';
import { basename, extname } from 'node:path';
import type { Connection } from '../database/connection.ts';
import type { ValidRecord } from './records.ts';
import type { UpsertResult } from '../types.ts';

export interface WriteOutcome extends UpsertResult {
  /** The file existed before (its index row must be replaced). */
  existed: boolean;
}

/**
 * Writes one validated record: the file row and all its children. The caller owns the
 * transaction. Prepared once per connection.
 */
export class FileWriter {
  private readonly find: Statement<[string], { id: number; hash: string } | undefined>;
  private readonly insertFile: Statement;
  private readonly updateFile: Statement;
  private readonly clear: Statement[];
  private readonly insertDefinition: Statement;
  private readonly insertImport: Statement;
  private readonly insertSymbol: Statement;
  private readonly insertTag: Statement;

  constructor(db: Connection) {
    this.find = db.prepare('SELECT id, hash FROM files WHERE path = ?');
    this.insertFile = db.prepare(
      `INSERT INTO files (path, filename, extension, size, last_modified, hash, language, indexed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.updateFile = db.prepare(
      `UPDATE files SET size = ?, last_modified = ?, hash = ?, language = ?, indexed_at = ?
       WHERE id = ?`,
    );
    this.clear = ['definitions', 'imports', 'symbols', 'file_tags'].map((t) =>
      db.prepare(`DELETE FROM ${t} WHERE file_id = ?`),
    );
    this.insertDefinition = db.prepare(
      `INSERT INTO definitions (file_id, name, type, line, "column", exported, docstring, decorators, signature)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertImport = db.prepare(
      'INSERT INTO imports (file_id, module, type, names, line) VALUES (?, ?, ?, ?, ?)',
    );
    this.insertSymbol = db.prepare(
      'INSERT INTO symbols (file_id, name, kind, scope, line, "column") VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.insertTag = db.prepare('INSERT INTO file_tags (file_id, tag, weight) VALUES (?, ?, ?)');
  }

  /** Writes `r` unless the stored hash is the same (`force`: even then). Must run inside a transaction. */
  write(r: ValidRecord, indexedAt: number, force = false): WriteOutcome {
    const existing = this.find.get(r.path);
    if (existing && existing.hash === r.hash && !force)
      return { fileId: existing.id, changed: false, existed: true };
    // Whole milliseconds (files.last_modified is a STRICT INTEGER; fs.stat's mtimeMs has fractions).
    const lastModified = Math.trunc(r.lastModified);
    let fileId: number;
    if (existing) {
      fileId = existing.id;
      this.updateFile.run(r.size, lastModified, r.hash, r.language, indexedAt, fileId);
      for (const s of this.clear) s.run(fileId);
    } else {
      const filename = basename(r.path);
      const extension = extname(filename);
      const { size, hash, language } = r;
      fileId = Number(
        this.insertFile.run(
          r.path,
          filename,
          extension,
          size,
          lastModified,
          hash,
          language,
          indexedAt,
        ).lastInsertRowid,
      );
    }
    for (const d of r.definitions ?? []) {
      this.insertDefinition.run(
        fileId,
        d.name,
        d.type,
        d.line,
        d.column,
        d.exported ? 1 : 0,
        d.docstring ?? null,
        d.decorators ? JSON.stringify(d.decorators) : null,
        d.signature ?? null,
      );
    }
    for (const m of r.imports ?? []) {
      this.insertImport.run(
        fileId,
        m.module,
        m.type,
        m.names ? JSON.stringify(m.names) : null,
        m.line ?? null,
      );
    }
    for (const s of r.symbols ?? [])
      this.insertSymbol.run(fileId, s.name, s.kind, s.scope ?? null, s.line, s.column);
    for (const t of r.tags ?? []) this.insertTag.run(fileId, t.tag, t.weight);
    return { fileId, changed: true, existed: existing !== undefined };
  }
}
