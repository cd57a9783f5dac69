/* namepat: lists of name patterns such as "LOADTEST_*,API_TOKEN", for the
 * environment variables a spec may read (--allow-env). */
#ifndef WSGATE_NAMEPAT_H
#define WSGATE_NAMEPAT_H

#include <stdbool.h>
#include <stddef.h>

/* What a spec may read when nothing else is set. */
#define NAMEPAT_DEFAULT_ENV "WSGATE_*,LOADTEST_*"

typedef struct namepat namepat_t;

/* Parses list: patterns separated by commas or white space, each made of
 * letters, digits, _ and * (any run of characters, also none). Returns the
 * list (free with namepat_free; an empty list matches nothing), or NULL
 * with a one-line reason in err naming the pattern (NULL also when out of
 * memory). */
namepat_t *namepat_parse(const char *list, char *err, size_t errlen);
void namepat_free(namepat_t *p);

/* True when some pattern matches all of name (case matters). */
bool namepat_match(const namepat_t *p, const char *name);

/* True when NAMEPAT_DEFAULT_ENV matches name. */
bool namepat_default_env(const char *name);

#endif
