-- Values carried across the 2025 merger: a successor's value in a period
-- before it existed is the value of its predecessors combined by its
-- succession rule (dti.succession_share: the official mean, or a weighted
-- mean), and its rank is the rank of that value among the successors'
-- carried values, so that 2025 rankings can show the previous rank and the
-- change of the 34 units.

CREATE FUNCTION dti.carried_value(successor_id integer, period text, code indicator_code)
RETURNS TABLE (value float8, rank integer, members integer, members_with_value integer)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
-- the BI views call it for their readers, who may not read the results
-- directly; the body is bound at creation (BEGIN ATOMIC), so the pinned
-- path only guards what runs inside
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
	SELECT c.value, c.rank::integer, c.members::integer, c.members_with_value::integer
	FROM (
		SELECT x.successor_id, x.value, x.members, x.members_with_value,
			   rank_rounded(x.value, 4) OVER () AS rank
		FROM (
			SELECT sh.successor_id,
				   sum(sh.share * r.value) / nullif(sum(sh.share) FILTER (WHERE r.value IS NOT NULL), 0) AS value,
				   count(*) AS members, count(r.value) AS members_with_value
			FROM dti.succession_share sh
			LEFT JOIN dti.result_rank r ON r.unit_id = sh.predecessor_id
				AND r.period = carried_value.period AND r.code = carried_value.code
			GROUP BY sh.successor_id
			HAVING count(r.unit_id) > 0
		) x
	) c
	WHERE c.successor_id = carried_value.successor_id
	  AND EXISTS (SELECT 1 FROM dti.unit_succession s WHERE s.successor_id = carried_value.successor_id);
END;
COMMENT ON FUNCTION dti.carried_value(integer, text, indicator_code) IS
	'The value of a node for a successor unit in a period before it existed: its predecessors'' values combined by its succession rule (mean, or weighted mean; members without a value left out), with its competition rank among all successors'' carried values at 4 decimals; no row for a unit that succeeds none';
REVOKE EXECUTE ON FUNCTION dti.carried_value(integer, text, indicator_code) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.carried_value(integer, text, indicator_code) TO dti_reader, dti_verifier, dti_admin;
-- the official merger table is reference data readers may see (dti.unit_code()
-- names the successor of an old name from it)
GRANT SELECT ON dti.unit_succession TO dti_reader;
