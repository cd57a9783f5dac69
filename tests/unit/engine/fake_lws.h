/* fake_lws: a link-time stand-in for the libwebsockets calls the engine's
 * users make on a connection (tests/unit/engine/fake_lws.c). Linked into
 * the test executables that drive users (test_vu, test_worker) through
 * target_sources, so their definitions win over the shared library's and
 * nothing in src/ changes: no socket is opened, and what the user asked of
 * libwebsockets is recorded here for the test to check. Tests play the
 * library's part by calling vu_lws_callback with the fake's wsi. */
#ifndef WSGATE_FAKE_LWS_H
#define WSGATE_FAKE_LWS_H

#include <libwebsockets.h>
#include <stdbool.h>
#include <stddef.h>

#define FAKE_LWS_MAX_WSI 64
#define FAKE_LWS_MAX_SENT 32

/* libwebsockets declares struct lws opaque; the fake gives it a body. */
struct lws {
    void *opaque;         /* lws_set/get_opaque_user_data */
    void *user;           /* ci.userdata (an http step's call), lws_set_wsi_user */
    unsigned writable;    /* lws_callback_on_writable calls */
    bool killed;          /* lws_set_timeout(..., LWS_TO_KILL_ASYNC or _SYNC) */
    bool killed_sync;     /* lws_set_timeout(..., LWS_TO_KILL_SYNC): closed at once */
    unsigned timeouts;    /* lws_set_timeout calls that arm a timeout (not a kill, not a clear) */
    int close_status;     /* lws_close_reason, 0 = not called */
    bool partial;         /* lws_partial_buffered answers this */
    bool nonfinal;        /* lws_is_final_fragment answers !nonfinal */
    unsigned http_status; /* lws_http_client_http_response answers this */
    bool rx_off;          /* the last lws_rx_flow_control stopped reading */
    unsigned rx_flow;     /* lws_rx_flow_control calls */
    int fd;               /* lws_get_socket_fd answers fd - 1 (0: no socket) */
};

/* One lws_write call. */
typedef struct fake_lws_frame {
    struct lws *wsi;
    enum lws_write_protocol kind;
    char data[256]; /* the payload, NUL-terminated (cut at 255 bytes) */
    size_t len;
} fake_lws_frame_t;

typedef struct fake_lws {
    /* lws_client_connect_via_info: each call takes the next wsis[]. */
    struct lws wsis[FAKE_LWS_MAX_WSI];
    unsigned connects;
    bool refuse_connect; /* the next connects return NULL */
    char address[64], host[256], path[256];
    int port;
    const void *opaque; /* ci.opaque_user_data of the last connect */
    /* lws_write: every frame, PING frames included. */
    fake_lws_frame_t sent[FAKE_LWS_MAX_SENT];
    unsigned nsent;
    bool fail_writes; /* lws_write returns -1 */
    unsigned cancels; /* lws_cancel_service */
} fake_lws_t;

extern fake_lws_t fake_lws;

/* Forgets every call and wsi (a fresh library for the next test). */
void fake_lws_reset(void);
/* The wsi the last lws_client_connect_via_info returned (NULL if none). */
struct lws *fake_lws_last_wsi(void);

#endif
