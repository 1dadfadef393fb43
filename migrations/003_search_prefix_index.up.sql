-- Prefix indexes for the full-text index: every search word is a prefix, and without them FTS5
-- expands a prefix over every token that starts with it (the whole identifiers make that about
-- 100,000 tokens for a common word at 100,000 files). Lengths 2 to 8 cover words as typed; a
-- longer prefix is shared by few tokens. Same columns and tokenizer as 002, so the same text.
DROP TABLE search_index;
CREATE VIRTUAL TABLE search_index USING fts5 (
  filename, path, definitions, imports, docstrings, tags,
  tokenize = 'unicode61 remove_diacritics 2',
  prefix = '2 3 4 5 6 7 8'
);

-- Index the existing files again, in batches the manager repeats.
-- codeidx:repeat total: SELECT count(*) FROM files
INSERT INTO search_index (rowid, filename, path, definitions, imports, docstrings, tags)
  SELECT file_id, filename, path, definitions, imports, docstrings, tags FROM search_documents
  WHERE file_id > coalesce((SELECT rowid FROM search_index ORDER BY rowid DESC LIMIT 1), 0)
  ORDER BY file_id LIMIT 2000;
-- codeidx:end
