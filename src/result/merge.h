/* merge: combines the results of shards (or of separate runs of the same
 * spec, e.g. one per region) into one result, exactly: latency histograms
 * are added bucket by bucket, never percentiles averaged; counters are
 * summed; time series are aligned by wall clock to the second. The merged
 * result lists every input under shards[] for per-shard and per-region
 * breakdowns. The merge is interrupted (or aborted) when any input was, and
 * its shards[] rows mark the interrupted inputs. Assertions are left to the
 * caller. */
#ifndef WSGATE_MERGE_H
#define WSGATE_MERGE_H

#include <stdbool.h>
#include <stddef.h>

#include "result/result.h"

/* Merges n >= 1 results (borrowed, not changed) into out (zeroed here; the
 * caller clears it). Errors (-1, with a reason naming the input by its
 * position or name[i] when names is not NULL): results of different specs,
 * a mix of sharded and unsharded results, different shard totals, the same
 * shard twice, and missing shards unless allow_partial (then
 * out->missing_shards lists them). */
int merge_results(const result_t *const *in, const char *const *names, size_t n, bool allow_partial,
                  result_t *out, char *err, size_t errlen);

#endif
