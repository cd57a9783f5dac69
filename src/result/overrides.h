/* overrides: the load size and variables a run took from its command line
 * or environment instead of its spec, as every report records them. */
#ifndef WSGATE_RES_OVERRIDES_H
#define WSGATE_RES_OVERRIDES_H

#include <stdbool.h>
#include <stddef.h>

/* Owns every pointer field. */
typedef struct res_overrides {
    unsigned users;          /* --users / $WSGATE_USERS; 0: the spec's */
    double duration_s;       /* --duration / $WSGATE_DURATION; 0: the spec's */
    bool has_ramp_up;        /* --ramp-up given (0 s is a value) */
    double ramp_up_s;        /* --ramp-up */
    unsigned max_connecting; /* --max-connecting; 0: the spec's */
    char **var_names;        /* --var NAME=VALUE, in the order given */
    char **var_values;
    size_t nvars;
} res_overrides_t;

/* An empty set of overrides (malloc'd), or NULL when out of memory. */
res_overrides_t *res_overrides_new(void);

/* Adds a variable (copies both). Returns 0, or -1 when out of memory. */
int res_overrides_add_var(res_overrides_t *o, const char *name, const char *value);

/* "users 50, duration 30s, ramp-up 5s, max-connecting 500, var
 * room=support", malloc'd ("" for
 * none set); NULL when out of memory. */
char *res_overrides_text(const res_overrides_t *o);

/* True when a and b set the same values (NULL is no overrides). */
bool res_overrides_equal(const res_overrides_t *a, const res_overrides_t *b);

/* A deep copy (NULL for NULL, and when out of memory: check the input). */
res_overrides_t *res_overrides_dup(const res_overrides_t *o);

/* Frees o and everything it owns; NULL is fine. */
void res_overrides_free(res_overrides_t *o);

#endif
