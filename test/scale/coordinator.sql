-- On the coordinator: the core extension, postgres_fdw with one server per
-- shard that is told the shard has dti (extensions 'dti'), a leaf table
-- partitioned by hash of the unit over two foreign partitions, and the same
-- rows in a local table, the single-node reference.
-- psql variables: shard1, shard2 (ports on 127.0.0.1), units.
CREATE EXTENSION dti;
CREATE EXTENSION postgres_fdw;
CREATE SERVER shard1 FOREIGN DATA WRAPPER postgres_fdw
	OPTIONS (host '127.0.0.1', port :'shard1', dbname 'postgres', extensions 'dti');
CREATE SERVER shard2 FOREIGN DATA WRAPPER postgres_fdw
	OPTIONS (host '127.0.0.1', port :'shard2', dbname 'postgres', extensions 'dti');
CREATE USER MAPPING FOR CURRENT_USER SERVER shard1 OPTIONS (user 'postgres');
CREATE USER MAPPING FOR CURRENT_USER SERVER shard2 OPTIONS (user 'postgres');

CREATE TABLE leaf (
	unit	text NOT NULL,
	period	text NOT NULL,
	code	indicator_code NOT NULL,
	value	float8,
	weight	float8 NOT NULL
) PARTITION BY HASH (unit);
CREATE FOREIGN TABLE leaf_shard1 PARTITION OF leaf FOR VALUES WITH (MODULUS 2, REMAINDER 0)
	SERVER shard1 OPTIONS (table_name 'leaf_part');
CREATE FOREIGN TABLE leaf_shard2 PARTITION OF leaf FOR VALUES WITH (MODULUS 2, REMAINDER 1)
	SERVER shard2 OPTIONS (table_name 'leaf_part');

-- units x 2 periods x 36 leaves (3 pillars x 3 main indicators x 4
-- criteria); raw values 0..120 with a few NULLs (missing), weights 1..4.
CREATE TABLE leaf_local AS
SELECT 'U' || lpad(u::text, 4, '0') AS unit, y::text AS period,
	   ('P' || p || '.' || m || '.' || l)::indicator_code AS code,
	   CASE WHEN (u * 13 + y + p * 5 + m * 3 + l) % 53 = 0 THEN NULL
			ELSE ((u * 37 + y * 11 + p * 7 + m * 3 + l * 17) % 1201) / 10.0 END::float8 AS value,
	   (1 + (u + p * m + l) % 4)::float8 AS weight
FROM generate_series(1, :units) u, generate_series(2023, 2024) y,
	 generate_series(1, 3) p, generate_series(1, 3) m, generate_series(1, 4) l;
-- routed through the partitioned table to the shards
INSERT INTO leaf SELECT * FROM leaf_local;
ANALYZE leaf_local;
ANALYZE leaf;

-- The framework: points at every level, leaves worth 1 to 5 points.
CREATE TABLE fw AS
SELECT framework_compile(
	'DTI'::indicator_code || array_agg(c ORDER BY c),
	NULL::indicator_code || array_agg(coalesce(parent(c), 'DTI') ORDER BY c),
	NULL::float8 || array_agg(CASE WHEN nlevel(c) = 3 THEN (1 + (label(c, 2)::int * 7 + label(c, 3)::int) % 5)::float8 END ORDER BY c)) AS fw
FROM (SELECT DISTINCT unnest(ARRAY[code, parent(code), parent(parent(code))]) AS c FROM leaf_local) s;
