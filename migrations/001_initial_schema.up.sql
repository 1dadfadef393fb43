-- Core tables: files, definitions, imports, symbols, migration history and audit
-- STRICT tables refuse a value of the wrong type: without it, CHECK (line >= 1) would accept the
-- text 'abc', which sorts above every number. Times are whole milliseconds since 1970.
CREATE TABLE files (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE CHECK (length(path) > 0),
  filename TEXT NOT NULL,
  extension TEXT NOT NULL,
  size INTEGER NOT NULL CHECK (size >= 0),
  last_modified INTEGER NOT NULL CHECK (last_modified >= 0),
  hash TEXT NOT NULL CHECK (length(hash) = 64 AND hash NOT GLOB '*[^0-9a-f]*'),
  language TEXT NOT NULL,
  indexed_at INTEGER NOT NULL
) STRICT;

-- Lines are 1-based and columns 0-based, as editors report them.
CREATE TABLE definitions (
  id INTEGER PRIMARY KEY,
  file_id INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  name TEXT NOT NULL CHECK (length(name) > 0),
  type TEXT NOT NULL CHECK (type IN ('class', 'function', 'method', 'interface', 'component', 'variable', 'type', 'enum', 'constant', 'property', 'module')),
  line INTEGER NOT NULL CHECK (line >= 1),
  "column" INTEGER NOT NULL CHECK ("column" >= 0),
  exported INTEGER NOT NULL CHECK (exported IN (0, 1)),
  docstring TEXT,
  decorators TEXT,
  signature TEXT
) STRICT;
CREATE INDEX definitions_file ON definitions (file_id);
CREATE INDEX definitions_name ON definitions (name COLLATE NOCASE);

CREATE TABLE imports (
  id INTEGER PRIMARY KEY,
  file_id INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  module TEXT NOT NULL CHECK (length(module) > 0),
  type TEXT NOT NULL CHECK (type IN ('es-module', 'commonjs', 'dynamic', 'type-only', 'side-effect')),
  names TEXT,
  line INTEGER CHECK (line IS NULL OR line >= 1)
) STRICT;
CREATE INDEX imports_file ON imports (file_id);
CREATE INDEX imports_module ON imports (module);

CREATE TABLE symbols (
  id INTEGER PRIMARY KEY,
  file_id INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  name TEXT NOT NULL CHECK (length(name) > 0),
  kind TEXT NOT NULL,
  scope TEXT,
  line INTEGER NOT NULL CHECK (line >= 1),
  "column" INTEGER NOT NULL CHECK ("column" >= 0)
) STRICT;
CREATE INDEX symbols_file ON symbols (file_id);

CREATE TABLE schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  checksum TEXT NOT NULL,
  applied_at TEXT NOT NULL,
  execution_ms INTEGER NOT NULL
);

CREATE TABLE migration_audit (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  action TEXT NOT NULL,
  version INTEGER,
  name TEXT,
  checksum TEXT,
  detail TEXT
);
CREATE TRIGGER migration_audit_no_update BEFORE UPDATE ON migration_audit
BEGIN
  SELECT RAISE(ABORT, 'migration_audit is append-only');
END;
CREATE TRIGGER migration_audit_no_delete BEFORE DELETE ON migration_audit
BEGIN
  SELECT RAISE(ABORT, 'migration_audit is append-only');
END;
