/* heap: an indexed binary min-heap of intrusive nodes keyed by uint64_t.
 * The element embeds a heap_node_t (its place in the heap), so inserting,
 * moving and cancelling one are O(log n) with no allocation per element;
 * only the heap's array is allocated, and it grows by doubling. The array
 * holds each key next to its node pointer, so sifting compares keys in the
 * array and writes to a node only when it moves that node; and the node is
 * four bytes, so timerq's nodes (one per user) stay as dense as its old
 * index array. Both timer queues sit on it: the client workers' timerq
 * (engine/timerq.h) and serve's stimer (serve/timer.h). */
#ifndef WSGATE_HEAP_H
#define WSGATE_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Embedded in the element; zero it before first use (not queued). Only the
 * heap writes it. */
typedef struct heap_node {
    uint32_t slot; /* 1 + index in the heap's array; 0 = not queued */
} heap_node_t;

/* One array cell: a queued node and its key. */
typedef struct heap_cell {
    uint64_t key;
    heap_node_t *node;
} heap_cell_t;

/* Owns the array v only, never the nodes: a node's owner cancels it before
 * the node goes away. Zero it to start empty; the fields are the heap's. */
typedef struct heap {
    heap_cell_t *v;
    size_t n;   /* nodes queued */
    size_t cap; /* cells in v */
} heap_t;

/* Makes room for cap nodes, so heap_set never needs memory until more are
 * queued. Returns 0, or -1 without memory or past UINT32_MAX - 1 nodes
 * (the heap is left as it was). */
int heap_reserve(heap_t *h, size_t cap);

/* Queues x with key, or moves it there if it is queued already. Returns 0,
 * or -1 when the array cannot grow (only for an x not queued, which then
 * stays so; the heap is unchanged). */
int heap_set(heap_t *h, heap_node_t *x, uint64_t key);

/* Unqueues x if it is queued; does nothing otherwise. */
void heap_cancel(heap_t *h, heap_node_t *x);

/* Unqueues and returns the node with the smallest key if that key is
 * <= now; NULL when there is none. */
heap_node_t *heap_pop_due(heap_t *h, uint64_t now);

/* Frees the array (not the nodes) and leaves h empty. */
void heap_free(heap_t *h);

/* Whether x is queued. */
static inline bool heap_queued(const heap_node_t *x)
{
    return x->slot != 0;
}

/* The node with the smallest key, still queued; NULL when h is empty. */
static inline heap_node_t *heap_min(const heap_t *h)
{
    return h->n ? h->v[0].node : NULL;
}

/* The key of x, which must be queued in h. */
static inline uint64_t heap_key(const heap_t *h, const heap_node_t *x)
{
    return h->v[x->slot - 1].key;
}

/* How many nodes are queued. */
static inline size_t heap_size(const heap_t *h)
{
    return h->n;
}

#endif
