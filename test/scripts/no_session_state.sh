#!/usr/bin/env bash
# The C core keeps no session state: what test/pgtap/scale_out.sql cannot see
# in the catalog, checked in the sources.  A function that read a setting,
# the clock, the user, the backend or a random generator, looked objects up
# by name through the search_path, or kept a value in a static variable from
# one call to the next could give another answer on another server (a
# postgres_fdw shard, a Citus worker, a parallel worker).  Per-call caches in
# fn_extra are fine: they live as long as one query's expression.
set -euo pipefail
cd "$(dirname "$0")/../.."

status=0
# APIs that read session or transaction state, or resolve names.
pattern='GetConfigOption|DefineCustom[A-Za-z]*Variable|set_config_option|GetUserId|GetSessionUserId|MyProcPid|MyBackendId|GetCurrentTimestamp|GetCurrentTransactionStartTimestamp|GetCurrentStatementStartTimestamp|GetCurrentTransactionId|\brandom\(|\bsrandom\(|pg_prng_|pg_global_prng_state|TypenameGetTypid|LookupFuncName|LookupTypeName|typenameTypeId|RangeVarGetRelid|fetch_search_path|TopMemoryContext|CacheMemoryContext|on_proc_exit|before_shmem_exit'
# framework.c's cache of frameworks compiled from the binary forms that
# states carry (see the exception for static variables below) lives in
# TopMemoryContext.
if grep -nE "$pattern" extension/*.c extension/*.h | grep -vE '^extension/framework\.c:[0-9]+:.*AllocSetContextCreate\(TopMemoryContext, "dti framework of a state"'; then
	echo "the lines above read session state or resolve names at run time"
	status=1
fi
# File-scope variables that are not const (function-local statics included):
# state that would survive from one call to the next.
if grep -nE '^\s*static\s+[^(]*[;=]\s*$' extension/*.c | grep -vE '\bconst\b[^*]*[;=]|\*\s*const\b' |
	grep -vE 'static const FwNodeSpec \*sort_specs;' |
	grep -vE '^extension/framework\.c:[0-9]+:static (WireCacheSlot wire_cache\[WIRE_CACHE_SLOTS\]|uint64 wire_cache_clock);'; then
	echo "the lines above declare static variables that are not const"
	status=1
fi
# sort_specs (framework_core.c) is the comparison context of one qsort() call: set
# right before the call, not read after it.  wire_cache (framework.c)
# memoises the compilation of a framework's binary form, keyed by the hash
# and length of those bytes (or the bytes themselves): what it returns is a
# function of the bytes alone, the same on every server, so that a Citus
# coordinator or a parallel leader combining thousands of self-contained
# rollup_state or composite_state values compiles their framework once, not
# once per state (fn_extra would not do: Citus calls the type's input
# function with a new FmgrInfo for every state).
grep -q 'sort_specs = ' extension/framework_core.c || { echo "framework_core.c: sort_specs is no longer set before qsort"; status=1; }
[ $status -eq 0 ] && echo "no session state in extension/*.c"
exit $status
