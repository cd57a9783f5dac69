/* serve_msg: the encoded outgoing frames, shared by reference count. */
#include "serve/internal.h"

#include <stdlib.h>
#include <string.h>

out_msg_t *serve_msg_text(const char *txt, size_t len)
{
    out_msg_t *m = malloc(sizeof(*m) + LWS_PRE + len);
    if (m) {
        m->refs = 1;
        m->len = len;
        memcpy(m->buf + LWS_PRE, txt, len);
    }
    return m;
}

/* Renders obj into a new shared message with one ref, or NULL. */
out_msg_t *serve_msg_encode(cJSON *obj)
{
    char *txt = obj ? cJSON_PrintUnformatted(obj) : NULL;
    if (!txt)
        return NULL;
    out_msg_t *m = serve_msg_text(txt, strlen(txt));
    free(txt);
    return m;
}

void serve_msg_release(out_msg_t *m)
{
    if (m && --m->refs == 0)
        free(m);
}
