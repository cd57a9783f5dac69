/* heap: indexed binary min-heap of intrusive nodes (see heap.h). */
#include "base/heap.h"

#include <stdlib.h>

#define FIRST_CAP 64
#define MAX_CAP ((size_t)UINT32_MAX - 1) /* 1 + index fits in a node's slot */

/* Writes c into cell i and tells its node where it is. */
static void put(heap_t *h, size_t i, heap_cell_t c)
{
    h->v[i] = c;
    c.node->slot = (uint32_t)(i + 1);
}

/* Places c, whose cell is i (a hole), at or above i. */
static void sift_up(heap_t *h, size_t i, heap_cell_t c)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h->v[p].key <= c.key)
            break;
        put(h, i, h->v[p]);
        i = p;
    }
    put(h, i, c);
}

/* Places c, whose cell is i (a hole), at or below i. */
static void sift_down(heap_t *h, size_t i, heap_cell_t c)
{
    for (;;) {
        size_t l = 2 * i + 1;
        if (l >= h->n)
            break;
        size_t m = l + 1 < h->n && h->v[l + 1].key < h->v[l].key ? l + 1 : l;
        if (c.key <= h->v[m].key)
            break;
        put(h, i, h->v[m]);
        i = m;
    }
    put(h, i, c);
}

int heap_reserve(heap_t *h, size_t cap)
{
    if (cap <= h->cap)
        return 0;
    if (cap > MAX_CAP || cap > SIZE_MAX / sizeof(heap_cell_t))
        return -1;
    heap_cell_t *v = realloc(h->v, cap * sizeof(*v));
    if (!v)
        return -1;
    h->v = v;
    h->cap = cap;
    return 0;
}

/* Doubles the array (FIRST_CAP cells the first time, UINT32_MAX - 1 the
 * last). Returns 0, or -1 without memory or at the limit. */
static int grow(heap_t *h)
{
    if (h->cap >= MAX_CAP)
        return -1;
    if (!h->cap)
        return heap_reserve(h, FIRST_CAP);
    return heap_reserve(h, h->cap < MAX_CAP / 2 ? h->cap * 2 : MAX_CAP);
}

int heap_set(heap_t *h, heap_node_t *x, uint64_t key)
{
    if (x->slot) {
        size_t i = x->slot - 1;
        if (key < h->v[i].key)
            sift_up(h, i, (heap_cell_t){ key, x });
        else
            sift_down(h, i, (heap_cell_t){ key, x });
        return 0;
    }
    if (h->n == h->cap && grow(h) < 0)
        return -1;
    sift_up(h, h->n++, (heap_cell_t){ key, x });
    return 0;
}

void heap_cancel(heap_t *h, heap_node_t *x)
{
    if (!x->slot)
        return;
    size_t i = x->slot - 1;
    x->slot = 0;
    heap_cell_t last = h->v[--h->n];
    if (i == h->n)
        return;
    if (i > 0 && last.key < h->v[(i - 1) / 2].key)
        sift_up(h, i, last);
    else
        sift_down(h, i, last);
}

heap_node_t *heap_pop_due(heap_t *h, uint64_t now)
{
    if (!h->n || h->v[0].key > now)
        return NULL;
    heap_node_t *x = h->v[0].node;
    x->slot = 0;
    heap_cell_t last = h->v[--h->n];
    if (h->n)
        sift_down(h, 0, last);
    return x;
}

void heap_free(heap_t *h)
{
    free(h->v);
    h->v = NULL;
    h->n = h->cap = 0;
}
