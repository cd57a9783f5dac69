/* redact: keeps secrets out of reports and logs. */
#ifndef WSGATE_REDACT_H
#define WSGATE_REDACT_H

#include <stdbool.h>

/* True for query parameters and header names that carry secrets
 * (token, access_token, api_key, key, secret, password, auth, jwt,
 * session, authorization, cookie, ...), compared without case. */
bool redact_is_secret_name(const char *name, unsigned long len);

/* Returns a malloc'd copy of url whose secret query values are replaced by
 * "***" (e.g. ws://h/ws?token=abc&room=1 -> ws://h/ws?token=***&room=1),
 * or NULL on allocation failure. */
char *redact_url(const char *url);

#endif
