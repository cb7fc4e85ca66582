-- Benchmark data: :rows rows over 100 indicators, seeded so every run (and
-- every machine) gets the same values.  x is positive (0.5 to 120, so the
-- scoring rules meet both clamps), w a fractional weight in [0.05, 3).
SELECT setseed(0.3141592653);
CREATE TABLE bench_data (
	indicator	integer NOT NULL,
	unit		integer NOT NULL,
	x			float8 NOT NULL,
	w			float8 NOT NULL
);
INSERT INTO bench_data
SELECT g % 100 + 1, g / 100, 0.5 + 119.5 * random(), 0.05 + 2.95 * random()
FROM generate_series(0, :rows - 1) g;
VACUUM (FREEZE, ANALYZE) bench_data;
