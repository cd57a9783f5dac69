/* connq: a worker's bounded connect pipeline and its FIFO of waiting users; see connq.h. */
#include "engine/connq.h"

#include <stdlib.h>

#define CONNQ_NONE UINT32_MAX

enum { AT_NONE = 0, AT_LINE = 1, AT_SLOT = 2 };

int connq_init(connq_t *q, uint32_t n, uint32_t limit)
{
    q->n = n;
    q->limit = limit ? limit : CONNQ_DEFAULT_LIMIT;
    q->flight = q->len = 0;
    q->head = q->tail = CONNQ_NONE;
    q->waited = q->max_wait_us = 0;
    size_t cap = n ? n : 1;
    q->next = malloc(cap * sizeof(uint32_t));
    q->prev = malloc(cap * sizeof(uint32_t));
    q->since = malloc(cap * sizeof(uint64_t));
    q->where = calloc(cap, 1);
    return q->next && q->prev && q->since && q->where ? 0 : -1;
}

void connq_release(connq_t *q)
{
    free(q->next);
    free(q->prev);
    free(q->since);
    free(q->where);
    q->next = q->prev = NULL;
    q->since = NULL;
    q->where = NULL;
}

static void unlink_id(connq_t *q, uint32_t id)
{
    uint32_t p = q->prev[id], nx = q->next[id];
    if (p == CONNQ_NONE)
        q->head = nx;
    else
        q->next[p] = nx;
    if (nx == CONNQ_NONE)
        q->tail = p;
    else
        q->prev[nx] = p;
    q->len--;
}

static void wait_ended(connq_t *q, uint32_t id, uint64_t now)
{
    uint64_t w = now > q->since[id] ? now - q->since[id] : 0;
    if (w > q->max_wait_us)
        q->max_wait_us = w;
}

bool connq_enter(connq_t *q, uint32_t id, uint64_t now)
{
    if (q->where[id] != AT_NONE) /* already in: leave first (a bug otherwise) */
        connq_leave(q, id, now);
    if (q->flight < q->limit && q->len == 0) {
        q->flight++;
        q->where[id] = AT_SLOT;
        return true;
    }
    q->where[id] = AT_LINE;
    q->since[id] = now;
    q->next[id] = CONNQ_NONE;
    q->prev[id] = q->tail;
    if (q->tail == CONNQ_NONE)
        q->head = id;
    else
        q->next[q->tail] = id;
    q->tail = id;
    q->len++;
    q->waited++;
    return false;
}

bool connq_leave(connq_t *q, uint32_t id, uint64_t now)
{
    uint8_t at = q->where[id];
    q->where[id] = AT_NONE;
    if (at == AT_SLOT) {
        q->flight--;
        return false;
    }
    if (at != AT_LINE)
        return false;
    unlink_id(q, id);
    wait_ended(q, id, now);
    return true;
}

bool connq_next(connq_t *q, uint32_t *id, uint64_t now)
{
    if (q->flight >= q->limit || q->head == CONNQ_NONE)
        return false;
    uint32_t i = q->head;
    unlink_id(q, i);
    wait_ended(q, i, now);
    q->where[i] = AT_SLOT;
    q->flight++;
    *id = i;
    return true;
}
