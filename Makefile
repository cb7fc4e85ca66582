# dti: PGXS build of the C core (extension "dti").
#
# Targets: all install deps test test-versions demo bench fuzz memcheck reliability test-scale
# test-citus mutation (see README.md).
# The SQL install script of the current version is assembled from sql/src/*.sql
# in file-name order; install scripts of released versions and upgrade scripts
# (sql/dti--A--B.sql) are committed as they were released.

control_version = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" $(1).control)

EXTENSION    = dti
EXTVERSION   = $(call control_version,dti)
MODULE_big   = dti
OBJS         = $(patsubst %.c,%.o,$(sort $(wildcard extension/*.c)))
DATA_built   = sql/dti--$(EXTVERSION).sql
# the first release's install script and every upgrade script, as released;
# older versions install through them (CREATE EXTENSION dti VERSION '0.2.0')
DATA         = $(filter-out $(DATA_built),sql/dti--0.1.0.sql) $(wildcard sql/dti--*--*.sql)

# The warehouse: a second, SQL-only extension built from sql/warehouse/
# (its install script is printed by sql/warehouse/build.sh).
ifneq ($(wildcard dti_warehouse.control),)
EXTENSION   += dti_warehouse
WH_VERSION   = $(call control_version,dti_warehouse)
DATA_built  += sql/dti_warehouse--$(WH_VERSION).sql
DATA        += $(filter-out sql/dti_warehouse--$(WH_VERSION).sql,sql/dti_warehouse--0.1.0.sql) \
               $(wildcard sql/dti_warehouse--*--*.sql)
endif
PGFILEDESC   = "dti - composite-indicator scoring"

REGRESS      = $(patsubst test/sql/%.sql,%,$(sort $(wildcard test/sql/*.sql)))
REGRESS_OPTS = --inputdir=test --outputdir=test --load-extension=dti
EXTRA_CLEAN  = test/results test/regression.diffs test/regression.out \
               test/fuzz/build test/mutation.log

# PostgreSQL's headers trip -Wunused-parameter under -Wextra.  The rank
# interval code must give the same bits at every optimisation level, hence
# no contraction of a*b+c into fused multiply-adds.
PG_CFLAGS    = -Wall -Wextra -Wno-unused-parameter -Werror -ffp-contract=off
PG_CPPFLAGS  = -I$(srcdir)/extension

PG_CONFIG   ?= pg_config
PGXS        := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS does not track headers: every object depends on every header of the
# extension, so a changed struct layout never links with stale objects.
$(OBJS): $(wildcard extension/*.h)

sql/dti--$(EXTVERSION).sql: $(sort $(wildcard sql/src/*.sql)) dti.control
	@{ printf -- "-- dti %s: generated from sql/src/*.sql by make; edit those files.\n" "$(EXTVERSION)"; \
	   printf -- "\\\\echo Use \"CREATE EXTENSION dti\" to load this file. \\\\quit\n"; \
	   for f in $(sort $(wildcard sql/src/*.sql)); do printf -- "\n-- %s\n" "$$f"; cat "$$f"; done; } > $@

sql/dti_warehouse--$(WH_VERSION).sql: $(sort $(wildcard sql/warehouse/* sql/data/*)) dti_warehouse.control
	sql/warehouse/build.sh "$(WH_VERSION)" > $@.tmp && mv $@.tmp $@

# Scripts of versions that are no longer built (an older development version
# of the current release, say) must not linger in the server's directory,
# where CREATE EXTENSION would prefer them to the upgrade path.
installdirs: remove-stale-scripts
remove-stale-scripts:
	rm -f '$(DESTDIR)$(datadir)/extension/dti--'*.sql '$(DESTDIR)$(datadir)/extension/dti_warehouse--'*.sql

.PHONY: remove-stale-scripts deps test test-versions demo bench fuzz memcheck test-scale test-citus reliability mutation

deps:
	@test/deps.sh

test:
	@test/run.sh

# The core suite on PostgreSQL 17 and 18, built from Debian's sources into a
# cache outside the checkout (DTI_PG_CACHE, default /var/cache/dti-pg).
test-versions:
	@test/versions/run.sh

demo:
	@demo/demo.sh

bench:
	@test/bench/run.sh
	@test/bench/agg_versions.sh
	@test/bench/rollup.sh
	@test/bench/composite.sh
	@test/bench/composite_stats.sh
	@test/bench/ranking.sh
	@test/bench/refresh.sh
	@test/bench/scale.sh
	@test/bench/citus.sh
	@test/bench/warehouse_roles.sh
	@test/bench/method.sh

FUZZ_SECONDS ?= 10
fuzz:
	@test/fuzz/run.sh $(FUZZ_SECONDS)

reliability:
	@test/reliability/run.sh

memcheck:
	@test/memcheck/run.sh

test-scale:
	@test/scale/run.sh

# dti on a 3-node Citus cluster (an installed Citus, else one built from
# ../shared/vendor/ beside the checkout).
test-citus:
	@test/citus/run.sh

# On demand, not in .ci/run: each mutant of test/mutation/mutants is built
# and run against the suite (MUTATION_SUITE=full for the whole make test).
mutation:
	@test/mutation/run.sh
