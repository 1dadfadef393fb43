-- Definition-level symbol search: each definition's camel humps (initials) and name parts,
-- kept in step with `definitions` by triggers, so Go to Symbol finds `getRequestHeader` by `gRH`
-- (humps) or `request` (a part). Exact names and prefixes are served by the name index below.

-- A definition's name split into words, as a JSON array: at '_', '-', '.', '$', ':' and, in
-- names with a lowercase letter, before each capital ('getHTTPHeader' gives get, H, T, T, P,
-- Header: acronyms split into letters; MAX_SIZE gives MAX, SIZE). Two views of at most 18 nested
-- replace() calls: older sqlite3 shells cannot parse about 26 nested calls, and SQLite flattens
-- the views into one expression without a subquery per name (3x faster). rank orders
-- matches of the same kind: shorter names first, then exported ones.
CREATE VIEW symbol_split AS
SELECT d.id AS definition_id, d.name AS name, length(d.name) * 2 + (1 - d.exported) AS rank,
  CASE WHEN d.name GLOB '*[a-z]*'
    THEN replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(d.name, '_', ' '), '-', ' '), '.', ' '), '$', ' '), ':', ' '), 'A', ' A'), 'B', ' B'), 'C', ' C'), 'D', ' D'), 'E', ' E'), 'F', ' F'), 'G', ' G'), 'H', ' H'), 'I', ' I'), 'J', ' J'), 'K', ' K'), 'L', ' L'), 'M', ' M')
    ELSE replace(replace(replace(replace(replace(d.name, '_', ' '), '-', ' '), '.', ' '), '$', ' '), ':', ' ') END AS half
FROM definitions AS d;
CREATE VIEW symbol_words AS
SELECT s.definition_id AS definition_id, s.name AS name, s.rank AS rank,
  '[' || replace(json_quote(CASE WHEN s.name GLOB '*[a-z]*'
    THEN replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(s.half, 'N', ' N'), 'O', ' O'), 'P', ' P'), 'Q', ' Q'), 'R', ' R'), 'S', ' S'), 'T', ' T'), 'U', ' U'), 'V', ' V'), 'W', ' W'), 'X', ' X'), 'Y', ' Y'), 'Z', ' Z')
    ELSE s.half END), ' ', '","') || ']' AS words
FROM symbol_split AS s;

-- The terms of each definition: 'h' its humps (the first letters of its words, lowercased) when it
-- has two words or more; 'p' each word of two letters or more, lowercased, unless the name starts
-- with it (a prefix search finds those). Writers read this view by definition_id (= or a range),
-- which SQLite pushes into both halves; a join or IN over it would compute every definition.
CREATE VIEW symbol_terms_source AS
SELECT w.definition_id AS definition_id, 'h' AS kind,
  lower(group_concat(substr(j.value, 1, 1), '')) AS term, w.rank AS rank
FROM symbol_words AS w, json_each(w.words) AS j
WHERE j.value <> ''
GROUP BY w.definition_id
HAVING count(*) > 1
UNION ALL
SELECT DISTINCT w.definition_id, 'p', lower(j.value), w.rank
FROM symbol_words AS w, json_each(w.words) AS j
WHERE length(j.value) > 1 AND substr(lower(w.name), 1, length(j.value)) <> lower(j.value);

CREATE TABLE symbol_terms (
  definition_id INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('h', 'p')),
  term TEXT NOT NULL,
  rank INTEGER NOT NULL,
  PRIMARY KEY (definition_id, kind, term)
) STRICT, WITHOUT ROWID;

-- Replaces definitions_name: the same order, and it covers exact and prefix lookups (name,
-- exported, file and line without reading the definitions table).
DROP INDEX definitions_name;
CREATE INDEX definitions_name_lookup ON definitions (name COLLATE NOCASE, exported DESC, file_id, line);

-- Kept in step with every committed write, through codeidx or plain SQL. The importer drops the
-- search_sync_* triggers inside its batches and writes the new definitions' terms in one statement
-- (indexSymbolsSql in src/storage/index/symbols.ts); the delete trigger stays on.
CREATE TRIGGER search_sync_symbols_insert AFTER INSERT ON definitions
BEGIN
  INSERT INTO symbol_terms (definition_id, kind, term, rank)
    SELECT definition_id, kind, term, rank FROM symbol_terms_source WHERE definition_id = new.id;
END;
CREATE TRIGGER search_sync_symbols_update AFTER UPDATE OF id, name, exported ON definitions
BEGIN
  DELETE FROM symbol_terms WHERE definition_id = old.id;
  INSERT INTO symbol_terms (definition_id, kind, term, rank)
    SELECT definition_id, kind, term, rank FROM symbol_terms_source WHERE definition_id = new.id;
END;
CREATE TRIGGER symbol_terms_delete AFTER DELETE ON definitions
BEGIN
  DELETE FROM symbol_terms WHERE definition_id = old.id;
END;

-- The terms of the definitions that existed before this migration, file by file in batches the
-- manager repeats. A file's definitions are one id range when an importer wrote them, and a
-- range of plain values pushes into the view (a subquery or IN would compute every definition).
-- Temporary objects: nothing of them stays in the schema.
CREATE TEMP TABLE symbol_terms_files (file_id INTEGER PRIMARY KEY, lo INTEGER, hi INTEGER);
INSERT INTO symbol_terms_files (file_id, lo, hi)
  SELECT file_id, min(id), max(id) FROM main.definitions GROUP BY file_id;
CREATE TEMP TRIGGER symbol_terms_files_delete AFTER DELETE ON symbol_terms_files
BEGIN
  INSERT INTO symbol_terms (definition_id, kind, term, rank)
    SELECT definition_id, kind, term, rank FROM main.symbol_terms_source
    WHERE definition_id BETWEEN old.lo AND old.hi
      AND definition_id IN (SELECT id FROM main.definitions WHERE file_id = old.file_id);
END;
-- codeidx:repeat total: SELECT count(*) FROM temp.symbol_terms_files
DELETE FROM temp.symbol_terms_files
  WHERE file_id IN (SELECT file_id FROM temp.symbol_terms_files ORDER BY file_id LIMIT 500);
-- codeidx:end
DROP TABLE temp.symbol_terms_files;
CREATE INDEX symbol_terms_lookup ON symbol_terms (kind, term, rank);
