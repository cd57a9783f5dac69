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

/* Values shorter than this are not hidden: they would blank out ordinary
 * text (numbers, words) and are no secret worth the name. */
#define REDACT_MIN_SECRET 4

/* The values a run must never show (those read from the environment by
 * {{env.NAME}}): every report and message goes through
 * redact_secrets_scrub. Owns copies of the values. */
typedef struct redact_secrets redact_secrets_t;

/* Returns an empty set, or NULL when out of memory. */
redact_secrets_t *redact_secrets_new(void);
void redact_secrets_free(redact_secrets_t *s);
/* Remembers value (copied) unless it is shorter than REDACT_MIN_SECRET or
 * already known. Returns 0, or -1 when out of memory. */
int redact_secrets_add(redact_secrets_t *s, const char *value);
/* Replaces, in place, every occurrence of a remembered value in text with
 * "***", longer values first. s or text may be NULL. */
void redact_secrets_scrub(const redact_secrets_t *s, char *text);

#endif
