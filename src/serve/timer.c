/* serve_timer: indexed binary min-heap of stimer_t (see serve_timer.h). */
#include "serve/timer.h"

#include <stdlib.h>

static void put(stimer_heap_t *h, size_t i, stimer_t *t)
{
    h->v[i] = t;
    t->slot = i + 1;
}

static void sift_up(stimer_heap_t *h, size_t i)
{
    stimer_t *t = h->v[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h->v[p]->due <= t->due)
            break;
        put(h, i, h->v[p]);
        i = p;
    }
    put(h, i, t);
}

static void sift_down(stimer_heap_t *h, size_t i)
{
    stimer_t *t = h->v[i];
    for (;;) {
        size_t l = 2 * i + 1;
        if (l >= h->n)
            break;
        size_t m = l + 1 < h->n && h->v[l + 1]->due < h->v[l]->due ? l + 1 : l;
        if (h->v[m]->due >= t->due)
            break;
        put(h, i, h->v[m]);
        i = m;
    }
    put(h, i, t);
}

static int grow(stimer_heap_t *h)
{
    size_t cap = h->cap ? h->cap * 2 : 64;
    stimer_t **v = realloc(h->v, cap * sizeof(*v));
    if (!v)
        return -1;
    h->v = v;
    h->cap = cap;
    return 0;
}

/* Moves t (in the heap at i) to where its due belongs. */
static void fix(stimer_heap_t *h, size_t i)
{
    if (i > 0 && h->v[(i - 1) / 2]->due > h->v[i]->due)
        sift_up(h, i);
    else
        sift_down(h, i);
}

int stimer_set(stimer_heap_t *h, stimer_t *t, stimer_cb_t cb, uint64_t due)
{
    t->cb = cb;
    t->due = due;
    if (t->slot) {
        fix(h, t->slot - 1);
        return 0;
    }
    if (h->n == h->cap && grow(h) < 0)
        return -1;
    put(h, h->n++, t);
    sift_up(h, h->n - 1);
    return 0;
}

void stimer_cancel(stimer_heap_t *h, stimer_t *t)
{
    if (!t->slot)
        return;
    size_t i = t->slot - 1;
    t->slot = 0;
    stimer_t *last = h->v[--h->n];
    if (i == h->n)
        return;
    put(h, i, last);
    fix(h, i);
}

bool stimer_pending(const stimer_t *t)
{
    return t->slot != 0;
}

bool stimer_next(const stimer_heap_t *h, uint64_t *due)
{
    if (!h->n)
        return false;
    *due = h->v[0]->due;
    return true;
}

stimer_t *stimer_pop_due(stimer_heap_t *h, uint64_t now)
{
    if (!h->n || h->v[0]->due > now)
        return NULL;
    stimer_t *t = h->v[0];
    stimer_cancel(h, t);
    return t;
}

void stimer_heap_free(stimer_heap_t *h)
{
    free(h->v);
    h->v = NULL;
    h->n = h->cap = 0;
}
