/* yloc: a light YAML tree with line numbers, built with libyaml.
 * libcyaml types the spec but forgets positions and cannot read free-form
 * mappings; this tree lets spec.c point at the line of any path and read
 * mappings such as `variables:`. Aliases are expanded (with a size cap);
 * only the first document of a stream is read. */
#ifndef WSGATE_YLOC_H
#define WSGATE_YLOC_H

#include <stdbool.h>
#include <stddef.h>

typedef enum yloc_kind { YLOC_SCALAR, YLOC_MAP, YLOC_SEQ } yloc_kind_t;

/* One node. A mapping's entries are its kids, each with key set; a
 * sequence's items are its kids with key NULL. Owns key, value and kids. */
typedef struct yloc_node {
    yloc_kind_t kind;
    int line;     /* 1-based line where the value starts */
    int col;      /* 1-based column */
    char *key;    /* mapping entry: the key text; else NULL */
    int key_line; /* mapping entry: line of the key; else 0 */
    char *value;  /* scalar: text as parsed (NUL-terminated); else NULL */
    size_t len;   /* scalar: bytes of value, more than strlen when it holds a NUL */
    bool quoted;  /* scalar: quoted or block style (never null) */
    struct yloc_node **kids;
    size_t nkids;
} yloc_node_t;

/* Parses len bytes of YAML. Returns 0 and sets *out to the root (NULL for
 * an empty stream; free with yloc_free), or -1 with *err_line (1-based) and
 * a one-line reason in err (libyaml's problem text, e.g. "mapping values
 * are not allowed in this context"). */
int yloc_parse(const char *data, size_t len, yloc_node_t **out, int *err_line, char *err,
               size_t errlen);

void yloc_free(yloc_node_t *n);

/* First entry of a mapping with that key, or NULL (also for non-maps). */
const yloc_node_t *yloc_child(const yloc_node_t *map, const char *key);

/* Item i of a sequence, or NULL. */
const yloc_node_t *yloc_item(const yloc_node_t *seq, size_t i);

/* Follows a path such as "scenarios[0].tasks[1].pause" ("" is the root).
 * Returns the node, or NULL when any part is missing. */
const yloc_node_t *yloc_find(const yloc_node_t *root, const char *path);

/* Line to report for a path: the line of the deepest part of the path that
 * exists (a mapping entry reports its key's line). 0 when root is NULL. */
int yloc_line(const yloc_node_t *root, const char *path);

/* True for a plain scalar that YAML reads as null: "", "~", "null". */
bool yloc_is_null(const yloc_node_t *n);

#endif
