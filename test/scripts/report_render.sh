#!/usr/bin/env bash
# The demo report in a real browser.  Builds the demo database (seeded
# SYNTHETIC data, demo/warehouse.sql), writes report.html (demo/report.sql),
# opens it in Debian's headless Chromium, takes a screenshot and dumps the
# rendered DOM, and checks: the screenshot is a PNG of the page; the two maps
# have one SVG path per unit (63 provinces, 34 units) with a fill; the
# ranking table has the 63 provinces; the rank-interval chart has the top
# 10; the page loads nothing from elsewhere; and Chromium logged no console
# message (an SVG path it cannot parse, a blocked resource, ...): the page
# has no scripts, so any console line is a fault.  The grading section
# (demo/grading.sql) lists the 16 units the 2024 announcement names and
# labels each of the 84 systems synthetic.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
db=dti_scenario_report
work=$(mktemp -d)
trap 'rm -rf "$work"; dropdb --if-exists $db >/dev/null 2>&1' EXIT
dropdb --if-exists $db >/dev/null 2>&1
createdb $db
(cd "$work" && PATH="$root/tools:$PATH" psql -X -q -v ON_ERROR_STOP=1 -d $db -f "$root/demo/warehouse.sql" \
	-f "$root/demo/grading.sql" -f "$root/demo/report.sql" >/dev/null)

browser() {
	HOME=$work timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-dev-shm-usage \
		--user-data-dir="$work/profile" --enable-logging=stderr --v=0 --hide-scrollbars "$@" \
		"file://$work/report.html" 2>>"$work/chromium.log"
}
browser --window-size=1400,1500 --screenshot="$work/report.png" >/dev/null
browser --dump-dom >"$work/dom.html"

/usr/bin/python3 - "$work" <<'PY'
import sys
from html.parser import HTMLParser

work = sys.argv[1]
problems = []

png = open(work + "/report.png", "rb").read()
if png[:8] != b"\x89PNG\r\n\x1a\n" or len(png) < 50000:
    problems.append("screenshot: not a PNG of a rendered page (%d bytes)" % len(png))

class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.maps, self.stack, self.ranking_rows, self.medians, self.external = [], [], 0, 0, []
        self.in_ranking = False
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for k in ("src", "href"):
            if k in a:
                self.external.append("%s %s=%s" % (tag, k, a[k]))
        if tag == "script" or (tag == "link" and a.get("rel") == "stylesheet"):
            self.external.append(tag)
        if tag == "svg" and "map" in (a.get("class") or ""):
            self.maps.append(0)
        if tag == "path" and self.maps and a.get("class") == "unit" and a.get("fill", "").startswith("#") and len(a.get("d", "")) > 20:
            self.maps[-1] += 1
        if tag == "table" and a.get("id") == "ranking":
            self.in_ranking = True
        if tag == "tr" and self.in_ranking:
            self.ranking_rows += 1
        if tag == "circle" and a.get("class") == "median":
            self.medians += 1
    def handle_endtag(self, tag):
        if tag == "table":
            self.in_ranking = False

p = Page()
p.feed(open(work + "/dom.html", encoding="utf-8").read())
if p.maps != [63, 34]:
    problems.append("maps: expected 63 and 34 filled unit paths, found %r" % p.maps)
if p.ranking_rows != 64:
    problems.append("ranking table: expected a header and 63 rows, found %d rows" % p.ranking_rows)
if p.medians != 10:
    problems.append("rank-interval chart: expected 10 units, found %d" % p.medians)
if p.external:
    problems.append("the page refers to other resources: %r" % p.external[:5])

# the grading of 2024: the 16 named units, each row of the 84 labelled
dom = open(work + "/dom.html", encoding="utf-8").read()
named = dom.count("grade published; points synthetic") + dom.count("total published; group points other than functionality synthetic")
if named != 16:
    problems.append("grading: expected the 16 named units, found %d" % named)
if dom.count("<td>synthetic</td>") != 84:
    problems.append("grading: expected 84 system rows labelled synthetic, found %d" % dom.count("<td>synthetic</td>"))

console = [l for l in open(work + "/chromium.log", encoding="utf-8", errors="replace") if ":CONSOLE" in l]
if console:
    problems.append("console messages:\n" + "".join(console[:10]))

print("report: maps %r unit paths, %d ranking rows, %d interval rows, %d named graded units, screenshot %d bytes, %d console messages"
      % (p.maps, p.ranking_rows - 1, p.medians, named, len(png), len(console)))
if problems:
    print("\n".join(problems))
    sys.exit(1)
PY
