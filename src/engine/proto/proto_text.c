/* proto_text: protocol text, raw text frames seen as {text, json}; see proto.h. */
#include "engine/proto/proto.h"

#include <stdlib.h>
#include <string.h>

/* {text: the message (up to a NUL in it), json: the message parsed, or null}. */
static cJSON *text_parse(void *st, const char *msg, size_t len, proto_rx_t *rx)
{
    (void)st;
    (void)rx;
    cJSON *o = cJSON_CreateObject();
    char *t = malloc(len + 1);
    if (!o || !t)
        goto fail;
    memcpy(t, msg, len);
    t[len] = '\0';
    cJSON *json = cJSON_ParseWithLength(msg, len);
    if (!cJSON_AddItemToObject(o, "json", json ? json : cJSON_CreateNull()) ||
        !cJSON_AddStringToObject(o, "text", t))
        goto fail;
    free(t);
    return o;
fail:
    free(t);
    cJSON_Delete(o);
    return NULL;
}

const proto_t proto_text = {
    .name = "text",
    .parse = text_parse,
};
