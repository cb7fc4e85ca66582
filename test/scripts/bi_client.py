"""A BI tool's view of the warehouse: reflect the BI views with SQLAlchemy's
inspector (as Superset and Metabase do), check that every column has a
standard type, and read them through psycopg2.  Connection from the PG*
environment variables.  Exits non-zero on any problem."""
import os
import sys

import sqlalchemy
from sqlalchemy import types

VIEWS = ["score_long", "score_wide", "ranking", "province_ranking", "top_contributors",
         "data_quality", "merged_series", "target_attainment", "refresh_history",
         "region_summary", "published_comparison"]
STANDARD = (types.Text, types.String, types.Integer, types.BigInteger, types.Numeric,
            types.Date, types.DateTime, types.Boolean, types.JSON)

url = sqlalchemy.engine.URL.create(
    "postgresql+psycopg2", username=os.environ.get("PGUSER"), database=os.environ["BI_DATABASE"],
    query={"host": os.environ["PGHOST"], "port": os.environ["PGPORT"]})
engine = sqlalchemy.create_engine(url)
inspector = sqlalchemy.inspect(engine)
problems = []
found = set(inspector.get_view_names(schema="dti"))
for view in VIEWS:
    if view not in found:
        problems.append("view dti.%s is missing" % view)
        continue
    columns = inspector.get_columns(view, schema="dti")
    for c in columns:
        if not isinstance(c["type"], STANDARD) or isinstance(c["type"], types.NullType):
            problems.append("dti.%s.%s has type %r" % (view, c["name"], c["type"]))
    with engine.connect() as conn:
        rows = conn.execute(sqlalchemy.text('SELECT * FROM dti."%s"' % view)).fetchall()
    print("dti.%-18s %2d columns, %3d rows: %s" % (
        view, len(columns), len(rows), ", ".join("%s %s" % (c["name"], c["type"]) for c in columns[:4])))

with engine.connect() as conn:
    top = conn.execute(sqlalchemy.text(
        "SELECT unit, value, rank FROM dti.province_ranking WHERE period = '2030' ORDER BY rank")).fetchall()
print("2030:", "; ".join("%s %s (%s)" % tuple(r) for r in top))
if [r[0] for r in top] != ["Thành phố Đà Nẵng", "Thành phố Hà Nội", "Thành phố Hồ Chí Minh"] and \
        [r[0] for r in top] != ["Đà Nẵng", "Hà Nội", "Hồ Chí Minh"]:
    problems.append("unexpected ranking: %r" % (top,))
if problems:
    print("\n".join(problems))
    sys.exit(1)
print("BI client: %d views reflected, standard types only" % len(VIEWS))
