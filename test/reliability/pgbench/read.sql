-- A dashboard reads the published views.
\set period random(2030, 2031)
BEGIN;
SELECT unit_code AS my_unit FROM rel.client_unit WHERE client = :client_id \gset
SET LOCAL ROLE rel_reader;
SELECT count(*) AS n_rank, sum(value) AS s FROM dti.ranking WHERE period = ':period' \gset
SELECT count(*) AS n_long FROM dti.score_long WHERE period = ':period' AND unit_code = ':my_unit' \gset
SELECT count(*) AS n_wide FROM dti.score_wide WHERE period = ':period' \gset
SELECT count(*) AS n_hist FROM dti.refresh_history \gset
RESET ROLE;
INSERT INTO rel.reads (client, view_name, n) VALUES
	(:client_id, 'ranking', :n_rank), (:client_id, 'score_long', :n_long), (:client_id, 'score_wide', :n_wide);
END;
