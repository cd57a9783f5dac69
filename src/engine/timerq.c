/* timerq: deadlines by id for a client worker, on base/heap (see timerq.h). */
#include "engine/timerq.h"

#include <stdlib.h>

#include "base/heap.h"

/* Owns heap's array and nodes. nodes[id] is id's place in the heap, so an
 * id is its node's offset in nodes. */
struct timerq {
    heap_t heap;
    heap_node_t *nodes;
};

timerq_t *timerq_new(uint32_t capacity)
{
    timerq_t *q = calloc(1, sizeof(*q));
    if (!q)
        return NULL;
    q->nodes = calloc(capacity ? capacity : 1, sizeof(*q->nodes));
    if (!q->nodes || heap_reserve(&q->heap, capacity) < 0) {
        timerq_free(q);
        return NULL;
    }
    return q;
}

void timerq_free(timerq_t *q)
{
    if (!q)
        return;
    heap_free(&q->heap);
    free(q->nodes);
    free(q);
}

void timerq_set(timerq_t *q, uint32_t id, uint64_t due)
{
    /* cannot fail: timerq_new reserved a cell for every id */
    (void)heap_set(&q->heap, &q->nodes[id], due);
}

void timerq_cancel(timerq_t *q, uint32_t id)
{
    heap_cancel(&q->heap, &q->nodes[id]);
}

bool timerq_pending(const timerq_t *q, uint32_t id)
{
    return heap_queued(&q->nodes[id]);
}

size_t timerq_size(const timerq_t *q)
{
    return heap_size(&q->heap);
}

bool timerq_peek(const timerq_t *q, uint32_t *id, uint64_t *due)
{
    const heap_node_t *x = heap_min(&q->heap);
    if (!x)
        return false;
    *id = (uint32_t)(x - q->nodes);
    *due = heap_key(&q->heap, x);
    return true;
}

bool timerq_pop_due(timerq_t *q, uint64_t now, uint32_t *id)
{
    const heap_node_t *x = heap_pop_due(&q->heap, now);
    if (!x)
        return false;
    *id = (uint32_t)(x - q->nodes);
    return true;
}
