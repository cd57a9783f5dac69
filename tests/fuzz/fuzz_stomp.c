/* fuzz_stomp: parses any bytes as one STOMP frame (the WebSocket message a
 * broker sends), whole and split at every tenth byte, and writes headers
 * back with escapes. Frames split, over 1 MiB, or with bytes after their
 * NUL must be errors, never crashes. */
#include "fuzz.h"

#include "engine/proto/stomp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[160];
    cJSON *f = stomp_parse((const char *)data, size, err, sizeof(err));
    if (f) {
        sbuf_t out = SBUF_INIT;
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(f, "headers");
        for (const cJSON *kv = h ? h->child : NULL; kv; kv = kv->next)
            stomp_put_header(&out, kv->string, kv->valuestring, strlen(kv->valuestring), true);
        sbuf_free(&out);
        cJSON_Delete(f);
    }
    for (size_t cut = 0; cut < size && cut < 4096; cut += 10) /* a frame split across messages */
        cJSON_Delete(stomp_parse((const char *)data, cut, err, sizeof(err)));
    return 0;
}
