-- Removes the full-text index, its sync triggers and views, and file tags
DROP TRIGGER search_sync_file_tags_delete;
DROP TRIGGER search_sync_file_tags_update;
DROP TRIGGER search_sync_file_tags_insert;
DROP TRIGGER search_sync_imports_delete;
DROP TRIGGER search_sync_imports_update;
DROP TRIGGER search_sync_imports_insert;
DROP TRIGGER search_sync_definitions_delete;
DROP TRIGGER search_sync_definitions_update;
DROP TRIGGER search_sync_definitions_insert;
DROP TRIGGER search_sync_files_delete;
DROP TRIGGER search_sync_files_update;
DROP TRIGGER search_sync_files_insert;
DROP VIEW search_documents;
DROP TABLE search_index;
DROP TABLE file_tags;
