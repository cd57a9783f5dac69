/* proto: the table of client protocols, by spec_protocol_t; see proto.h. */
#include "engine/proto/proto.h"

/* Adding a protocol: its file, its spec name (spec_protocol_name) and one line here. */
static const proto_t *const protos[SPEC_PROTO_COUNT] = {
    [SPEC_PROTO_JSON] = &proto_json,       [SPEC_PROTO_TEXT] = &proto_text,
    [SPEC_PROTO_STOMP] = &proto_stomp,     [SPEC_PROTO_SOCKETIO] = &proto_socketio,
    [SPEC_PROTO_GRAPHQL] = &proto_graphql, [SPEC_PROTO_GRAPHQL_APOLLO] = &proto_graphql_apollo,
};

const proto_t *proto_get(spec_protocol_t p)
{
    return (unsigned)p < SPEC_PROTO_COUNT && protos[p] ? protos[p] : &proto_json;
}
