/* override: the load size and variables given on the command line or in
 * the environment instead of the spec (--users, --duration, --ramp-up,
 * --max-connecting, --var, $WSGATE_USERS, $WSGATE_DURATION). Each value is
 * read as strictly as the spec's own; how an override meets the spec's load model is
 * applied when the spec compiles (shape.c, settings.c). */
#ifndef WSGATE_OVERRIDE_H
#define WSGATE_OVERRIDE_H

#include <stddef.h>
#include <stdint.h>

/* One --var NAME=VALUE. Owns both. */
typedef struct override_var {
    char *name;
    char *value;
} override_var_t;

#define OVERRIDE_MAX_VARS 64

/* The overrides of one run. Each *_from names the flag or variable that
 * set the value ("--users", "WSGATE_USERS"; static strings), NULL when
 * not set. Owns vars; free with override_free(). */
typedef struct spec_overrides {
    unsigned users; /* --users, else $WSGATE_USERS: at least 1 */
    const char *users_from;
    uint64_t duration_us; /* --duration, else $WSGATE_DURATION: more than 0 */
    const char *duration_from;
    uint64_t ramp_up_us; /* --ramp-up: may be 0 */
    const char *ramp_up_from;
    unsigned max_connecting; /* --max-connecting: 1..SPEC_MAX_CONNECTING */
    const char *max_connecting_from;
    override_var_t *vars; /* --var, in the order given; names unique */
    size_t nvars;
} spec_overrides_t;

/* Sets users from text given by from. Returns 0, or -1 with one line in err
 * naming from and what to write. */
int override_users(spec_overrides_t *o, const char *text, const char *from, char *err,
                   size_t errlen);

/* Sets the duration (more than 0) from text given by from. Returns 0 or -1
 * with err set. */
int override_duration(spec_overrides_t *o, const char *text, const char *from, char *err,
                      size_t errlen);

/* Sets the ramp-up (0 or more) from text given by from. Returns 0 or -1 with
 * err set. */
int override_ramp_up(spec_overrides_t *o, const char *text, const char *from, char *err,
                     size_t errlen);

/* Sets load.max_connecting (1..SPEC_MAX_CONNECTING connects in flight)
 * from text given by from. Returns 0 or -1 with err set. */
int override_max_connecting(spec_overrides_t *o, const char *text, const char *from, char *err,
                            size_t errlen);

/* Adds "NAME=VALUE" (the value is everything after the first =, not
 * empty; NAME usable in {{ }}, not reserved, not given twice). Returns 0
 * or -1 with err set. */
int override_var(spec_overrides_t *o, const char *arg, char *err, size_t errlen);

/* True when o sets anything. */
int override_any(const spec_overrides_t *o);

/* Frees the vars and clears o; NULL is fine. */
void override_free(spec_overrides_t *o);

#endif
