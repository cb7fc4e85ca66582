"""A real GIS client: headless PyQGIS (Debian's python3-qgis, QGIS 3.22)
opens every map view of the warehouse as a LOGIN member of dti_reader, with
the key QGIS itself proposes for the view (the first candidate of its
PostgreSQL connection's table list), and checks that the key is unique
(QGIS checks it when the layer opens), that the layer counts the features
SQL counts, and that fetching and selecting a feature by its id return that
unit.  Connection: PGHOST, PGPORT, GIS_DATABASE, GIS_USER; the expected
counts come in GIS_COUNTS ("view=n,..."), counted by psql as the same
reader.  Exits non-zero on any problem."""
import os
import sys

from qgis.core import (QgsApplication, QgsDataSourceUri, QgsFeatureRequest, QgsProviderRegistry,
                       QgsVectorLayer)

QgsApplication.setPrefixPath("/usr", True)
app = QgsApplication([], False)
app.initQgis()

host, port = os.environ["PGHOST"], os.environ["PGPORT"]
db, user = os.environ["GIS_DATABASE"], os.environ["GIS_USER"]
counts = dict(x.split("=") for x in os.environ["GIS_COUNTS"].split(","))
problems = []

conn_uri = QgsDataSourceUri()
conn_uri.setConnection(host, port, db, user, "")
md = QgsProviderRegistry.instance().providerMetadata("postgres")
conn = md.createConnection(conn_uri.uri(False), {})
tables = {t.tableName(): t for t in conn.tables("dti")}

for view in ("score_map", "merged_map", "region_map"):
    if view not in tables:
        problems.append("QGIS does not list dti.%s" % view)
        continue
    candidates = tables[view].primaryKeyColumns()
    key = candidates[0] if candidates else ""
    if key != "feature_id":
        problems.append("dti.%s: QGIS proposes the key %r (candidates %s), not feature_id" % (view, key, candidates))
    uri = QgsDataSourceUri()
    uri.setConnection(host, port, db, user, "")
    uri.setDataSource("dti", view, "geom", "", key)
    uri.setParam("checkPrimaryKeyUnicity", "1")
    layer = QgsVectorLayer(uri.uri(False), view, "postgres")
    if not layer.isValid():
        problems.append("dti.%s does not open with key %s: %s" % (view, key, layer.error().summary()))
        continue
    n = layer.featureCount()
    if n != int(counts[view]):
        problems.append("dti.%s: QGIS counts %s features, SQL %s" % (view, n, counts[view]))
    ids = {}
    for f in layer.getFeatures():
        code = f["unit_code"] if view != "region_map" else f["region_code"]
        ids[f.id()] = (code, f["feature_id"])
    if len(ids) != n:
        problems.append("dti.%s: %s distinct feature ids for %s features" % (view, len(ids), n))
    # every feature fetched by its id is that feature; selecting it selects it
    wrong = 0
    for fid, (code, key_value) in ids.items():
        g = next(layer.getFeatures(QgsFeatureRequest(fid)), None)
        code_g = None if g is None else (g["unit_code"] if view != "region_map" else g["region_code"])
        if g is None or code_g != code or g["feature_id"] != key_value:
            wrong += 1
    if wrong:
        problems.append("dti.%s: %s of %s features fetched by id are another feature" % (view, wrong, n))
    last = max(ids)
    layer.selectByIds([last])
    sel = layer.selectedFeatures()
    sel_code = [(f["unit_code"] if view != "region_map" else f["region_code"]) for f in sel]
    if sel_code != [ids[last][0]]:
        problems.append("dti.%s: selecting feature %s (%s) selects %s" % (view, last, ids[last][0], sel_code))
    print("dti.%s: key %s, %s features, each fetched and selected by its id" % (view, key, n))

app.exitQgis()
if problems:
    print("\n".join(problems))
    sys.exit(1)
