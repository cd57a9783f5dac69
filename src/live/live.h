/* live: what the live watchers of a run (--live, --metrics-listen) label
 * their output with. The modules of this folder turn the engine's live
 * feed (engine_live_t) into NDJSON lines (ndjson), Prometheus text
 * (prom), and carry them out (liveout, promsrv); watch ties them to a run.
 * Nothing here prints: errors come back to cli. */
#ifndef WSGATE_LIVE_H
#define WSGATE_LIVE_H

/* The run being watched. Strings are borrowed. */
typedef struct live_run {
    const char *spec;                  /* the spec's name */
    const char *version;               /* wsgate's */
    unsigned shard_index, shard_total; /* --shard K/N; 0/0: not sharded */
    const char *region;                /* --region; NULL: none */
    double duration_s;                 /* the planned load */
} live_run_t;

#endif
