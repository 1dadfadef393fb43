-- Removes everything 001 created, history and audit included (a backup is taken first)
DROP TRIGGER migration_audit_no_delete;
DROP TRIGGER migration_audit_no_update;
DROP TABLE migration_audit;
DROP TABLE schema_migrations;
DROP TABLE symbols;
DROP TABLE imports;
DROP TABLE definitions;
DROP TABLE files;
