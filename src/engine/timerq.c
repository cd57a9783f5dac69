#include "engine/timerq.h"

#include <stdlib.h>

#define NOT_QUEUED UINT32_MAX

typedef struct entry {
    uint64_t due;
    uint32_t id;
} entry_t;

/* Owns heap and pos. pos[id] is id's index in heap, or NOT_QUEUED. */
struct timerq {
    entry_t *heap;
    uint32_t *pos;
    uint32_t size;
    uint32_t capacity;
};

timerq_t *timerq_new(uint32_t capacity)
{
    timerq_t *q = calloc(1, sizeof(*q));
    if (!q)
        return NULL;
    q->heap = malloc(sizeof(entry_t) * (capacity ? capacity : 1));
    q->pos = malloc(sizeof(uint32_t) * (capacity ? capacity : 1));
    if (!q->heap || !q->pos) {
        timerq_free(q);
        return NULL;
    }
    for (uint32_t i = 0; i < capacity; i++)
        q->pos[i] = NOT_QUEUED;
    q->capacity = capacity;
    return q;
}

void timerq_free(timerq_t *q)
{
    if (!q)
        return;
    free(q->heap);
    free(q->pos);
    free(q);
}

static void place(timerq_t *q, uint32_t i, entry_t e)
{
    q->heap[i] = e;
    q->pos[e.id] = i;
}

static void sift_up(timerq_t *q, uint32_t i)
{
    entry_t e = q->heap[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (q->heap[parent].due <= e.due)
            break;
        place(q, i, q->heap[parent]);
        i = parent;
    }
    place(q, i, e);
}

static void sift_down(timerq_t *q, uint32_t i)
{
    entry_t e = q->heap[i];
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= q->size)
            break;
        if (child + 1 < q->size && q->heap[child + 1].due < q->heap[child].due)
            child++;
        if (e.due <= q->heap[child].due)
            break;
        place(q, i, q->heap[child]);
        i = child;
    }
    place(q, i, e);
}

void timerq_set(timerq_t *q, uint32_t id, uint64_t due)
{
    uint32_t i = q->pos[id];
    if (i == NOT_QUEUED) {
        i = q->size++;
        place(q, i, (entry_t){ due, id });
        sift_up(q, i);
        return;
    }
    uint64_t old = q->heap[i].due;
    q->heap[i].due = due;
    if (due < old)
        sift_up(q, i);
    else
        sift_down(q, i);
}

void timerq_cancel(timerq_t *q, uint32_t id)
{
    uint32_t i = q->pos[id];
    if (i == NOT_QUEUED)
        return;
    q->pos[id] = NOT_QUEUED;
    q->size--;
    if (i == q->size)
        return;
    entry_t last = q->heap[q->size];
    place(q, i, last);
    if (i > 0 && last.due < q->heap[(i - 1) / 2].due)
        sift_up(q, i);
    else
        sift_down(q, i);
}

bool timerq_pending(const timerq_t *q, uint32_t id)
{
    return q->pos[id] != NOT_QUEUED;
}

size_t timerq_size(const timerq_t *q)
{
    return q->size;
}

bool timerq_peek(const timerq_t *q, uint32_t *id, uint64_t *due)
{
    if (q->size == 0)
        return false;
    *id = q->heap[0].id;
    *due = q->heap[0].due;
    return true;
}

bool timerq_pop_due(timerq_t *q, uint64_t now, uint32_t *id)
{
    if (q->size == 0 || q->heap[0].due > now)
        return false;
    *id = q->heap[0].id;
    timerq_cancel(q, *id);
    return true;
}
