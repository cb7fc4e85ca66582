-- On each shard: the core extension and the table that holds the shard's
-- units (the coordinator routes rows here through a foreign partition).
CREATE EXTENSION dti;
CREATE TABLE leaf_part (
	unit	text NOT NULL,
	period	text NOT NULL,
	code	indicator_code NOT NULL,
	value	float8,
	weight	float8 NOT NULL,
	PRIMARY KEY (unit, period, code)
);
