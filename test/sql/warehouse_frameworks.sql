-- dti_warehouse frameworks: the indicator tree is checked at commit, like a
-- foreign key: rows may arrive in any order and be corrected within the
-- transaction; what is left at commit must be a tree.
-- The transactions commit, so they run in a database of their own, which
-- the other tests do not see.
\set regress_db :DBNAME
CREATE DATABASE dti_regress_tree;
\c dti_regress_tree
SET client_min_messages = warning;
CREATE EXTENSION dti_warehouse CASCADE;
RESET client_min_messages;
\set VERBOSITY default

-- Children before their parent, as a CSV file may list them: accepted.
BEGIN;
SELECT dti.create_framework('tree-test', 'province', ARRAY[2036], 'Khung kiểm tra cây') > 0 AS created;
INSERT INTO dti.framework_indicator (code, name_vi, max_points, rule) VALUES
	('A.1', 'Con 1', 10, 'ratio'), ('A.2', 'Con 2', 10, 'ratio');
INSERT INTO dti.framework_indicator (code, name_vi, max_points) VALUES ('A', 'Cha', 20);
COMMIT;
SELECT code, parent FROM framework_nodes(dti.framework_tree((SELECT id FROM dti.framework WHERE code = 'tree-test')));

-- An orphan is refused at commit, and nothing of the transaction is kept.
BEGIN;
SELECT dti.create_framework('tree-test', 'province', ARRAY[2037], 'Khung kiểm tra cây') > 0 AS created;
INSERT INTO dti.framework_indicator (code, name_vi, max_points, rule) VALUES ('B.1', 'Mồ côi', 10, 'ratio');
COMMIT;
SELECT count(*) AS versions FROM dti.framework WHERE code = 'tree-test';

-- A row corrected within the transaction is judged in its final form.
BEGIN;
SELECT dti.create_framework('tree-test', 'province', ARRAY[2038], 'Khung kiểm tra cây') > 0 AS created;
INSERT INTO dti.framework_indicator (code, name_vi, max_points) VALUES ('A', 'Cha', 10);
INSERT INTO dti.framework_indicator (code, name_vi, max_points, rule) VALUES ('B.1', 'Gõ nhầm', 10, 'ratio');
UPDATE dti.framework_indicator SET code = 'A.1'
WHERE code = 'B.1' AND framework_id = current_setting('dti.framework_id')::integer;
COMMIT;
SELECT count(*) AS versions FROM dti.framework WHERE code = 'tree-test';

-- Recoding or deleting a parent whose children stay is refused; deleting
-- and re-inserting it is not.
UPDATE dti.framework_indicator SET code = 'X'
WHERE code = 'A' AND framework_id = (SELECT id FROM dti.framework WHERE code = 'tree-test' AND version = 1);
DELETE FROM dti.framework_indicator
WHERE code = 'A' AND framework_id = (SELECT id FROM dti.framework WHERE code = 'tree-test' AND version = 1);
BEGIN;
DELETE FROM dti.framework_indicator
WHERE code = 'A' AND framework_id = (SELECT id FROM dti.framework WHERE code = 'tree-test' AND version = 1);
INSERT INTO dti.framework_indicator (framework_id, code, name_vi, max_points)
SELECT id, 'A', 'Cha mới', 20 FROM dti.framework WHERE code = 'tree-test' AND version = 1;
COMMIT;
SELECT code, name_vi FROM dti.framework_indicator
WHERE framework_id = (SELECT id FROM dti.framework WHERE code = 'tree-test' AND version = 1) ORDER BY code;

\c :regress_db
DROP DATABASE dti_regress_tree;
