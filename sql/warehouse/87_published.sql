-- Published values: figures as the ministry published them (index and main
-- indicators, with ranks), so that the warehouse can be checked against
-- them.  Shipped: the DTI 2021 of the first 17 provinces and the DTI 2022 of
-- Đà Nẵng with its main indicators (sql/data/dti_published_values.csv);
-- users add more with INSERT.  dti.published_comparison sets each published
-- index beside the index recomputed from the published main indicators
-- (rollup() through the framework) and beside the warehouse's own result.

CREATE TABLE dti.published_value (
	unit_id integer NOT NULL REFERENCES dti.unit (id),
	period text NOT NULL REFERENCES dti.period (label),
	framework_id integer NOT NULL REFERENCES dti.framework (id),
	code indicator_code NOT NULL,
	value numeric CHECK (value >= 0 AND value <= 1),
	rank integer CHECK (rank >= 1),
	source text NOT NULL,
	shipped boolean NOT NULL DEFAULT false,
	PRIMARY KEY (unit_id, period, framework_id, code),
	CHECK (value IS NOT NULL OR rank IS NOT NULL)
);
COMMENT ON TABLE dti.published_value IS
	'Published values and ranks (index DTI and indicators of a framework) per unit and period, with their source; the shipped rows come from dti.gov.vn result pages, add your own with INSERT';
COMMENT ON COLUMN dti.published_value.code IS 'DTI for the index, else the code of an indicator of the framework';
COMMENT ON COLUMN dti.published_value.value IS 'The published value (4 decimals)';
COMMENT ON COLUMN dti.published_value.rank IS 'The published rank, where one was published';
COMMENT ON COLUMN dti.published_value.source IS 'Where the figure was published';
COMMENT ON COLUMN dti.published_value.shipped IS 'True for rows installed by the extension (not dumped)';

INSERT INTO dti.published_value (unit_id, period, framework_id, code, value, rank, source, shipped)
SELECT u.id, p.period, f.id, p.code::indicator_code, p.value::numeric, nullif(p.rank, '')::integer, p.source, true
FROM
--@csv dti_published_values.csv p
JOIN dti.framework f ON f.code = p.framework AND f.version = 1
JOIN dti.unit u ON u.level = 'province'
	AND u.code = dti.unit_code(p.unit, dti.period_end(p.period))
	AND dti.period_end(p.period) BETWEEN u.valid_from AND u.valid_to;

CREATE VIEW dti.published_comparison AS
SELECT u.code AS unit_code,
	   u.name_vi AS unit,
	   p.period,
	   f.code AS framework,
	   p.value AS published,
	   p.rank AS published_rank,
	   re.value AS recomputed,
	   re.indicators AS recomputed_from,
	   round(r.value::numeric, 4) AS computed,
	   r.rank AS computed_rank,
	   CASE WHEN re.value IS NULL AND r.value IS NULL THEN NULL
			ELSE coalesce(re.value = p.value, true) AND coalesce(round(r.value::numeric, 4) = p.value, true) END AS matches
FROM dti.published_value p
JOIN dti.unit u ON u.id = p.unit_id
JOIN dti.framework f ON f.id = p.framework_id
LEFT JOIN LATERAL (
	-- the index from the published values of the framework's leaves, when
	-- every scored leaf has one
	SELECT CASE WHEN x.n = x.expected THEN round(root_value(x.sc)::numeric, 4) END AS value, x.n::integer AS indicators
	FROM (SELECT rollup(dti.framework_tree(p.framework_id), l.code, c.value::float8) AS sc,
				 count(c.value) FILTER (WHERE l.scored AND l.max_points > 0) AS n,
				 count(*) FILTER (WHERE l.scored AND l.max_points > 0) AS expected
		  FROM dti.framework_indicator l
		  LEFT JOIN dti.published_value c ON c.framework_id = l.framework_id AND c.code = l.code
			AND c.unit_id = p.unit_id AND c.period = p.period AND c.value IS NOT NULL
		  WHERE l.framework_id = p.framework_id
			AND NOT EXISTS (SELECT 1 FROM dti.framework_indicator k
							WHERE k.framework_id = l.framework_id AND parent(k.code) = l.code)) x
	WHERE x.n > 0) re ON true
LEFT JOIN LATERAL (
	SELECT rk.value, rk.rank FROM dti.result_rank rk
	WHERE rk.unit_id = p.unit_id AND rk.period = p.period AND rk.framework_id = p.framework_id
	  AND rk.code = 'DTI') r ON true
WHERE p.code = 'DTI';

DO $$
DECLARE
	c record;
BEGIN
	FOR c IN SELECT * FROM (VALUES
		(NULL, 'Published indices beside the index recomputed from the published indicator values (rollup() through the framework) and beside the index the warehouse computed from its submissions'),
		('unit_code', 'Official code of the unit'),
		('unit', 'Vietnamese name of the unit'),
		('period', 'Assessment period'),
		('framework', 'Framework code of the published figure'),
		('published', 'The published index, 4 decimals'),
		('published_rank', 'The published rank'),
		('recomputed', 'The index recomputed from the published values of the framework''s leaves (NULL unless every scored leaf has one), 4 decimals'),
		('recomputed_from', 'Number of published leaf values used'),
		('computed', 'The index the warehouse computed from verified submissions under the same framework (dti.refresh()), 4 decimals'),
		('computed_rank', 'The warehouse''s rank of the unit'),
		('matches', 'True when every available recomputation equals the published value at 4 decimals; NULL when there is none')
	) AS v (column_name, comment)
	LOOP
		IF c.column_name IS NULL THEN
			EXECUTE format('COMMENT ON VIEW dti.published_comparison IS %L', c.comment);
		ELSE
			EXECUTE format('COMMENT ON COLUMN dti.published_comparison.%I IS %L', c.column_name, c.comment);
		END IF;
	END LOOP;
END $$;

GRANT SELECT ON dti.published_value, dti.published_comparison TO dti_reader, dti_admin;
GRANT INSERT, UPDATE ON dti.published_value TO dti_admin;
SELECT pg_catalog.pg_extension_config_dump('dti.published_value', 'WHERE NOT shipped');
