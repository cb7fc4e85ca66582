#!/usr/bin/env bash
# docs/rollup.md's first example as a test: its first two ```sql blocks (the
# tables, then the whole composite in one scan over leaf vectors) run as written, then the index values
# the page states (45, 55 and 50) are checked, and equal score() + rollup()
# over the same statistics.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/cluster.sh
work=$(mktemp -d)
trap 'cluster_stop; rm -rf "$work"' EXIT
cluster_start "" >/dev/null
createdb doc_rollup
python3 - docs/rollup.md "$work/example.sql" <<'PY'
import sys
lines = open(sys.argv[1], encoding='utf-8').read().split('\n')
blocks, i = [], 0
while i < len(lines) and len(blocks) < 2:
    if lines[i].strip() == '```sql':
        j = i + 1
        while lines[j].strip() != '```':
            j += 1
        blocks.append('\n'.join(lines[i + 1:j]))
        i = j
    i += 1
setup, query = blocks
query = query.rstrip().rstrip(';')
with open(sys.argv[2], 'w') as f:
    f.write('CREATE EXTENSION dti;\n' + setup + '\n')
    # the last statement (the one-scan form: WITH ... SELECT u, composite(...)) into a table
    head, _, last = query.rpartition(';\n')
    f.write(head + ';\nCREATE TABLE got AS ' + last + ';\n')
PY
psql -X -q -v ON_ERROR_STOP=1 -d doc_rollup -f "$work/example.sql" >/dev/null
got=$(psql -X -At -v ON_ERROR_STOP=1 -d doc_rollup -c \
	"SELECT string_agg(u || '=' || root_value(sc), ' ' ORDER BY u) FROM got")
want='1=45 2=55 3=50'
[ "$got" = "$want" ] || { echo "docs/rollup.md example: got $got, the page says $want"; exit 1; }
same=$(psql -X -At -v ON_ERROR_STOP=1 -d doc_rollup -c "
	WITH st AS (SELECT icode, indicator_stats(v) st FROM leaf GROUP BY icode),
	r AS (SELECT l.u, rollup((SELECT fw FROM fwc), l.icode, score(lr.rule, l.v, st.st)) sc
		  FROM leaf l JOIN st USING (icode) JOIN leaf_rule lr ON lr.code = l.icode GROUP BY l.u)
	SELECT count(*) FROM r JOIN got USING (u) WHERE r.sc::text = got.sc::text")
[ "$same" = 3 ] || { echo "docs/rollup.md example: $same of 3 scorecards equal score() + rollup()"; exit 1; }
echo "docs/rollup.md example: $got, the same scorecards as score() + rollup()"
