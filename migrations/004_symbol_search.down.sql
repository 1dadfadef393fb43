-- Removes the symbol search and restores 003's name index
DROP TRIGGER symbol_terms_delete;
DROP TRIGGER search_sync_symbols_update;
DROP TRIGGER search_sync_symbols_insert;
DROP INDEX definitions_name_lookup;
CREATE INDEX definitions_name ON definitions (name COLLATE NOCASE);
DROP TABLE symbol_terms;
DROP VIEW symbol_terms_source;
DROP VIEW symbol_words;
DROP VIEW symbol_split;
