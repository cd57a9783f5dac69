/* serve_json: the small JSON and clock helpers the protocols build their
 * messages with. */
#include "serve/internal.h"

#include "base/clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void serve_wallclock(uint64_t *ms, uint64_t *us)
{
    uint64_t u = clock_wall_us();
    *us = u;
    *ms = u / 1000u;
}

bool serve_json_add_u64(cJSON *o, const char *key, uint64_t v)
{
    char num[24];
    snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
    return cJSON_AddRawToObject(o, key, num) != NULL;
}

bool serve_json_add_now(cJSON *o)
{
    uint64_t ms, us;
    serve_wallclock(&ms, &us);
    return serve_json_add_u64(o, "ts", ms) && serve_json_add_u64(o, "ts_us", us);
}

cJSON *serve_json_reply_new(const char *type)
{
    cJSON *o = cJSON_CreateObject();
    if (o && !cJSON_AddStringToObject(o, "type", type)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

cJSON *serve_json_reply_str(cJSON *o, const char *key, const char *val)
{
    if (o && !cJSON_AddStringToObject(o, key, val)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

const char *serve_json_str(const cJSON *obj, const char *key)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
    return v && *v ? v : NULL;
}
