/* proto_json: protocol json, a message is one JSON document (the default); see proto.h. */
#include "engine/proto/proto.h"

/* Not JSON: NULL, which no predicate matches. Nothing is copied. */
static cJSON *json_parse(void *st, const char *msg, size_t len, proto_rx_t *rx)
{
    (void)st;
    (void)rx;
    return cJSON_ParseWithLength(msg, len);
}

const proto_t proto_json = {
    .name = "json",
    .parse = json_parse,
};
