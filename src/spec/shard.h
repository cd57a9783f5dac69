/* shard: which slice of a spec's load this process runs, and when it
 * starts, from flags or from the job engines' own variables:
 *   --shard K/N (1-based K)                  explicit, wins over the rest
 *   WSGATE_SHARD=K/N                         any engine
 *   CI_NODE_INDEX / CI_NODE_TOTAL            GitLab `parallel:` (1-based)
 *   JOB_COMPLETION_INDEX + WSGATE_SHARD_TOTAL  Kubernetes indexed Jobs (0-based)
 * and --start-at / WSGATE_START_AT: RFC 3339 UTC time or unix seconds. */
#ifndef WSGATE_SHARD_H
#define WSGATE_SHARD_H

#include <stddef.h>

typedef struct shard {
    unsigned index;     /* 1-based K; 0 when not sharded */
    unsigned total;     /* N; 0 when not sharded */
    const char *source; /* "--shard", "CI_NODE_INDEX", ...; NULL when none */
} shard_t;

/* Parses "K/N" with 1 <= K <= N <= 100000. Returns 0, or -1 with a reason. */
int shard_parse(const char *text, shard_t *out, char *err, size_t errlen);

/* Fills out from the environment (getenv). Returns 1 when a shard was
 * found, 0 when none, -1 with a reason naming the variable when one is
 * malformed. */
int shard_from_env(shard_t *out, char *err, size_t errlen);

/* "2026-11-28T10:00:00Z" (fractions and +HH:MM offsets allowed) or unix
 * seconds -> seconds since the epoch. Returns 0, or -1 with a reason. */
int shard_parse_time(const char *text, double *epoch_s, char *err, size_t errlen);

#endif
