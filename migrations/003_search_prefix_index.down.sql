-- Restores 002's full-text index (no prefix indexes) and indexes the files again
DROP TABLE search_index;
CREATE VIRTUAL TABLE search_index USING fts5 (
  filename, path, definitions, imports, docstrings, tags,
  tokenize = 'unicode61 remove_diacritics 2'
);

-- codeidx:repeat total: SELECT count(*) FROM files
INSERT INTO search_index (rowid, filename, path, definitions, imports, docstrings, tags)
  SELECT file_id, filename, path, definitions, imports, docstrings, tags FROM search_documents
  WHERE file_id > coalesce((SELECT rowid FROM search_index ORDER BY rowid DESC LIMIT 1), 0)
  ORDER BY file_id LIMIT 2000;
-- codeidx:end
