-- Full-text index over files, definitions, imports, docstrings and tags; weighted file tags
CREATE TABLE file_tags (
  id INTEGER PRIMARY KEY,
  file_id INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  tag TEXT NOT NULL CHECK (length(tag) > 0),
  weight REAL NOT NULL CHECK (weight >= 0 AND weight <= 1),
  UNIQUE (file_id, tag)
) STRICT;

-- A regular FTS5 table (it keeps its own copy of the text): deletes need no old values, and
-- shells of a few years' age can read it. unicode61 splits snake_case and paths at
-- punctuation; camelCase is split by the view below. rowid = files.id.
CREATE VIRTUAL TABLE search_index USING fts5 (
  filename, path, definitions, imports, docstrings, tags,
  tokenize = 'unicode61 remove_diacritics 2'
);

-- The one definition of a file's index document: the sync triggers, the population below,
-- rebuild and the importer all read it, so they cannot disagree.
-- Identifiers are indexed whole (so a prefix such as 'parseHt' finds them) and, when they mix
-- cases, also split into words before each capital: 'parseHttpRequest' adds 'parse Http
-- Request' (unicode61 already splits snake_case at '_'). All-capital names (MAX_SIZE) are not
-- split into letters. The split runs once per file over the concatenated names, not once per
-- name (about 8x cheaper on import), in two stages of 13 replace() calls because older sqlite3
-- shells cannot parse 26 nested calls. Names come in definition order (rowid order of the
-- definitions_file index), so rebuilding gives the same text.
CREATE VIEW search_documents AS
SELECT
  f.id AS file_id,
  f.filename || coalesce(' ' || (SELECT replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(h, 'N', ' N'), 'O', ' O'), 'P', ' P'), 'Q', ' Q'), 'R', ' R'), 'S', ' S'), 'T', ' T'), 'U', ' U'), 'V', ' V'), 'W', ' W'), 'X', ' X'), 'Y', ' Y'), 'Z', ' Z')
     FROM (SELECT replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(x, 'A', ' A'), 'B', ' B'), 'C', ' C'), 'D', ' D'), 'E', ' E'), 'F', ' F'), 'G', ' G'), 'H', ' H'), 'I', ' I'), 'J', ' J'), 'K', ' K'), 'L', ' L'), 'M', ' M') AS h
       FROM (SELECT f.filename AS x WHERE f.filename GLOB '?*[A-Z]*' AND f.filename GLOB '*[a-z]*'))), '') AS filename,
  f.path AS path,
  (SELECT group_concat(d.name, ' ') FROM definitions AS d WHERE d.file_id = f.id)
    || coalesce(' ' || (SELECT replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(h, 'N', ' N'), 'O', ' O'), 'P', ' P'), 'Q', ' Q'), 'R', ' R'), 'S', ' S'), 'T', ' T'), 'U', ' U'), 'V', ' V'), 'W', ' W'), 'X', ' X'), 'Y', ' Y'), 'Z', ' Z')
     FROM (SELECT replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(x, 'A', ' A'), 'B', ' B'), 'C', ' C'), 'D', ' D'), 'E', ' E'), 'F', ' F'), 'G', ' G'), 'H', ' H'), 'I', ' I'), 'J', ' J'), 'K', ' K'), 'L', ' L'), 'M', ' M') AS h
       FROM (SELECT group_concat(d.name, ' ') AS x FROM definitions AS d
         WHERE d.file_id = f.id AND d.name GLOB '?*[A-Z]*' AND d.name GLOB '*[a-z]*'))), '') AS definitions,
  (SELECT group_concat(i.module, ' ') FROM imports AS i WHERE i.file_id = f.id) AS imports,
  (SELECT group_concat(d.docstring, ' ') FROM definitions AS d WHERE d.file_id = f.id AND d.docstring IS NOT NULL) AS docstrings,
  (SELECT group_concat(g.tag, ' ') FROM file_tags AS g WHERE g.file_id = f.id) AS tags
FROM files AS f;

-- Keep the index in sync with every committed write, through codeidx or plain SQL.
CREATE TRIGGER search_sync_files_insert AFTER INSERT ON files
BEGIN
  INSERT INTO search_index (rowid, filename, path, definitions, imports, docstrings, tags)
    SELECT file_id, filename, path, definitions, imports, docstrings, tags FROM search_documents WHERE file_id = new.id;
END;
CREATE TRIGGER search_sync_files_update AFTER UPDATE OF id, filename, path ON files
BEGIN
  DELETE FROM search_index WHERE rowid = old.id;
  INSERT INTO search_index (rowid, filename, path, definitions, imports, docstrings, tags)
    SELECT file_id, filename, path, definitions, imports, docstrings, tags FROM search_documents WHERE file_id = new.id;
END;
CREATE TRIGGER search_sync_files_delete AFTER DELETE ON files
BEGIN
  DELETE FROM search_index WHERE rowid = old.id;
END;
CREATE TRIGGER search_sync_definitions_insert AFTER INSERT ON definitions
BEGIN
  DELETE FROM search_index WHERE rowid = new.file_id;
  INSERT INTO search_index (rowid, filename, path, definitions, imports, docstrings, tags)
    SELECT file_id, filename, path, definitions, imports, docstrings, tags FROM search_documents WHERE file_id = new.file_id;
END;
CREATE TRIGGER search_sync_definitions_update AFTER UPDATE OF file_id, name, docstring ON definitions
BEGIN
  DELETE FROM search_index WHERE rowid = old.file_id;
  INSERT INTO search_index (rowid, filename, path, definitions, imports, docstrings, tags)
    SELECT file_id, filename, path, definitions, imports, docstrings, tags FROM search_documents WHERE file_id = old.file_id;
  DELETE FROM search_index WHERE rowid = new.file_id;
  INSERT INTO search_index (rowid, filename, path, definitions, imports, docstrings, tags)
    SELECT file_id, filename, path, definitions, imports, docstrings, tags FROM search_documents WHERE file_id = new.file_id;
END;
CREATE TRIGGER search_sync_definitions_delete AFTER DELETE ON definitions
BEGIN
  DELETE FROM search_index WHERE rowid = old.file_id;
  INSERT INTO search_index (rowid, filename, path, definitions, imports, docstrings, tags)
    SELECT file_id, filename, path, definitions, imports, docstrings, tags FROM search_documents WHERE file_id = old.file_id;
END;
CREATE TRIGGER search_sync_imports_insert AFTER INSERT ON imports
BEGIN
  DELETE FROM search_index WHERE rowid = new.file_id;
  INSERT INTO search_index (rowid, filename, path, definitions, imports, docstrings, tags)
    SELECT file_id, filename, path, definitions, imports, docstrings, tags FROM search_documents WHERE file_id = new.file_id;
END;
CREATE TRIGGER search_sync_imports_update AFTER UPDATE OF file_id, module ON imports
BEGIN
  DELETE FROM search_index WHERE rowid = old.file_id;
  INSERT INTO search_index (rowid, filename, path, definitions, imports, docstrings, tags)
    SELECT file_id, filename, path, definitions, imports, docstrings, tags FROM search_documents WHERE file_id = old.file_id;
  DELETE FROM search_index WHERE rowid = new.file_id;
  INSERT INTO search_index (rowid, filename, path, definitions, imports, docstrings, tags)
    SELECT file_id, filename, path, definitions, imports, docstrings, tags FROM search_documents WHERE file_id = new.file_id;
END;
CREATE TRIGGER search_sync_imports_delete AFTER DELETE ON imports
BEGIN
  DELETE FROM search_index WHERE rowid = old.file_id;
  INSERT INTO search_index (rowid, filename, path, definitions, imports, docstrings, tags)
    SELECT file_id, filename, path, definitions, imports, docstrings, tags FROM search_documents WHERE file_id = old.file_id;
END;
CREATE TRIGGER search_sync_file_tags_insert AFTER INSERT ON file_tags
BEGIN
  DELETE FROM search_index WHERE rowid = new.file_id;
  INSERT INTO search_index (rowid, filename, path, definitions, imports, docstrings, tags)
    SELECT file_id, filename, path, definitions, imports, docstrings, tags FROM search_documents WHERE file_id = new.file_id;
END;
CREATE TRIGGER search_sync_file_tags_update AFTER UPDATE OF file_id, tag ON file_tags
BEGIN
  DELETE FROM search_index WHERE rowid = old.file_id;
  INSERT INTO search_index (rowid, filename, path, definitions, imports, docstrings, tags)
    SELECT file_id, filename, path, definitions, imports, docstrings, tags FROM search_documents WHERE file_id = old.file_id;
  DELETE FROM search_index WHERE rowid = new.file_id;
  INSERT INTO search_index (rowid, filename, path, definitions, imports, docstrings, tags)
    SELECT file_id, filename, path, definitions, imports, docstrings, tags FROM search_documents WHERE file_id = new.file_id;
END;
CREATE TRIGGER search_sync_file_tags_delete AFTER DELETE ON file_tags
BEGIN
  DELETE FROM search_index WHERE rowid = old.file_id;
  INSERT INTO search_index (rowid, filename, path, definitions, imports, docstrings, tags)
    SELECT file_id, filename, path, definitions, imports, docstrings, tags FROM search_documents WHERE file_id = old.file_id;
END;

-- Index the files that existed before this migration, in batches the manager repeats.
-- codeidx:repeat total: SELECT count(*) FROM files
INSERT INTO search_index (rowid, filename, path, definitions, imports, docstrings, tags)
  SELECT file_id, filename, path, definitions, imports, docstrings, tags FROM search_documents
  WHERE file_id > coalesce((SELECT rowid FROM search_index ORDER BY rowid DESC LIMIT 1), 0)
  ORDER BY file_id LIMIT 2000;
-- codeidx:end
