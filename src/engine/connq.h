/* connq: a worker's connect pipeline (load.max_connecting). At most limit
 * connects are in flight (a WebSocket connect started and not yet open,
 * failed, timed out or given up); users beyond it wait for a slot in FIFO
 * order. Ids are the worker's user slots; a waiting id can leave the line
 * at any place in O(1) (its connect timed out, the run ended), so the line
 * is a doubly linked list through per-id arrays, all allocated by
 * connq_init. Also keeps the figures the result reports: how many connects
 * waited and the longest wait. Single-threaded: one worker owns it. */
#ifndef WSGATE_CONNQ_H
#define WSGATE_CONNQ_H

#include <stdbool.h>
#include <stdint.h>

#define CONNQ_DEFAULT_LIMIT 2000u /* per worker: see README "Connect pipeline" */

/* Zero it, then connq_init; the fields are connq's. */
typedef struct connq {
    uint32_t n;      /* ids 0..n-1 */
    uint32_t limit;  /* connects in flight at most (>= 1) */
    uint32_t flight; /* connects in flight now */
    uint32_t head, tail, len;
    uint32_t *next, *prev; /* the line; CONNQ_NONE at its ends */
    uint64_t *since;       /* [id] when it began to wait */
    uint8_t *where;        /* [id] 0: neither, 1: waiting, 2: holds a slot */
    uint64_t waited;       /* connects that waited for a slot */
    uint64_t max_wait_us;  /* the longest wait that ended (slot or not) */
} connq_t;

/* Sets q up for n ids and limit slots (0: CONNQ_DEFAULT_LIMIT). Returns 0,
 * or -1 without memory (connq_release frees what was made). */
int connq_init(connq_t *q, uint32_t n, uint32_t limit);
void connq_release(connq_t *q);

/* id wants to connect at now: returns true when it took a slot (connect
 * now); false when it waits in line (connq_next hands it a slot later). */
bool connq_enter(connq_t *q, uint32_t id, uint64_t now);

/* id's connect is over (open, failed, timed out, given up) or it stopped
 * waiting: its slot is free, or it leaves the line. Returns true when id
 * was waiting (not connecting). Harmless for an id in neither. */
bool connq_leave(connq_t *q, uint32_t id, uint64_t now);

/* Whether id waits in line. */
static inline bool connq_waiting(const connq_t *q, uint32_t id)
{
    return q->where[id] == 1;
}

/* A slot is free and someone waits: the first in line takes the slot and
 * is returned in *id (its wait ended at now). Returns false otherwise. */
bool connq_next(connq_t *q, uint32_t *id, uint64_t now);

#endif
