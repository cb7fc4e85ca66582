-- The verifier takes the oldest submitted revision of the client's province
-- and verifies it, or one time in five rejects its newest verified one.
\set reject random(0, 4)
BEGIN;
SELECT unit_code AS my_unit FROM rel.client_unit WHERE client = :client_id \gset
SET LOCAL ROLE rel_verifier;
WITH target AS (
	SELECT s.id, CASE WHEN :reject = 0 THEN 'rejected' ELSE 'verified' END AS status
	FROM dti.submission s
	LEFT JOIN LATERAL (SELECT t.status FROM dti.submission_status t WHERE t.submission_id = s.id
					   ORDER BY t.id DESC LIMIT 1) st ON true
	WHERE s.unit_code = ':my_unit' AND s.period IN ('2030', '2031')
	  AND coalesce(st.status, s.status) = CASE WHEN :reject = 0 THEN 'verified' ELSE 'submitted' END
	ORDER BY CASE WHEN :reject = 0 THEN -s.id ELSE s.id END
	LIMIT 1),
ev AS (SELECT t.id, t.status, dti.set_status(t.id, t.status, 'pgbench check') AS event_id FROM target t)
INSERT INTO rel.status_change (client, submission_id, status, event_id)
SELECT :client_id, ev.id, ev.status, ev.event_id FROM ev;
END;
