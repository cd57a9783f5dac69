/* serve_subs: a connection's subscriptions (notification topics, quote
 * streams), kept as a JSON array of strings. */
#include "serve/internal.h"

#include <string.h>

bool serve_subs_valid(const cJSON *list)
{
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0)
        return false;
    const cJSON *it;
    cJSON_ArrayForEach(it, list)
    {
        const char *v = cJSON_GetStringValue(it);
        if (!v || !*v)
            return false;
    }
    return true;
}

static int subs_find(const conn_t *c, const char *name)
{
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, c->subs)
    {
        if (strcmp(it->valuestring, name) == 0)
            return i;
        i++;
    }
    return -1;
}

int serve_subs_add(conn_t *c, const cJSON *list)
{
    if (!c->subs && !(c->subs = cJSON_CreateArray()))
        return -1;
    const cJSON *it;
    cJSON_ArrayForEach(it, list)
    {
        if (subs_find(c, it->valuestring) >= 0)
            continue;
        cJSON *s = cJSON_CreateString(it->valuestring);
        if (!s || !cJSON_AddItemToArray(c->subs, s)) {
            cJSON_Delete(s);
            return -1;
        }
    }
    return 0;
}

void serve_subs_remove(conn_t *c, const cJSON *list)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, list)
    {
        int i = c->subs ? subs_find(c, it->valuestring) : -1;
        if (i >= 0)
            cJSON_DeleteItemFromArray(c->subs, i);
    }
}

const char *serve_subs_next(conn_t *c)
{
    int n = c->subs ? cJSON_GetArraySize(c->subs) : 0;
    if (n == 0)
        return NULL;
    const cJSON *it = cJSON_GetArrayItem(c->subs, (int)(c->next_sub++ % (size_t)n));
    return it->valuestring;
}
