/* serve_timer: serve's per-worker timers, on base/heap (see timer.h). */
#include "serve/timer.h"

int stimer_set(stimer_heap_t *h, stimer_t *t, stimer_cb_t cb, uint64_t due)
{
    t->cb = cb;
    return heap_set(&h->h, &t->node, due);
}

void stimer_cancel(stimer_heap_t *h, stimer_t *t)
{
    heap_cancel(&h->h, &t->node);
}

bool stimer_pending(const stimer_t *t)
{
    return heap_queued(&t->node);
}

bool stimer_next(const stimer_heap_t *h, uint64_t *due)
{
    const heap_node_t *x = heap_min(&h->h);
    if (!x)
        return false;
    *due = heap_key(&h->h, x);
    return true;
}

/* The timer that embeds x. */
static stimer_t *of_node(heap_node_t *x)
{
    return (stimer_t *)((char *)x - offsetof(stimer_t, node));
}

stimer_t *stimer_pop_due(stimer_heap_t *h, uint64_t now)
{
    heap_node_t *x = heap_pop_due(&h->h, now);
    return x ? of_node(x) : NULL;
}

void stimer_heap_free(stimer_heap_t *h)
{
    heap_free(&h->h);
}
