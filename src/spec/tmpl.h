/* tmpl: message and URL templates, compiled once when the spec loads.
 *
 * Syntax: literal text with {{ expr }} holes. Expressions:
 *   NAME                 a spec variable or other compile-time constant
 *                        (e.g. target, room) -> folded into literal text
 *   env.NAME             environment variable, read at compile time; a
 *                        missing variable, or one scope->env_allow does
 *                        not name, is a compile error; the value is
 *                        added to scope->env_secrets
 *   vu.id                the virtual user's id (1-based)
 *   vu.iteration         how many tasks this user has started (0-based)
 *   now.ms / now.us / now.s   wall clock since the epoch at render time
 *   random.int(a, b)     uniform integer in [a, b]
 *   random.string(n)     n chars of [a-z0-9]
 *   random.choice("x", "y", ...)  one of the quoted strings
 *   uuid                 random version-4 UUID
 *   SLOT                 a per-user runtime value (captured variable),
 *                        when the scope declares that slot name
 *   data.COLUMN          the user's row of the spec's CSV data file; an
 *                        unknown column is a compile error
 * Whitespace inside {{ }} is ignored. "{{" with no closing "}}" is an error.
 * Nothing is parsed at render time: rendering walks a list of parts. */
#ifndef WSGATE_TMPL_H
#define WSGATE_TMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/namepat.h"
#include "base/redact.h"
#include "base/sbuf.h"

typedef struct tmpl tmpl_t;

/* What names mean at compile time. Borrowed by tmpl_compile, not kept. */
typedef struct tmpl_scope {
    const char *const *const_names; /* constants, e.g. spec variables */
    const char *const *const_values;
    size_t nconst;
    const char *const *slot_names; /* per-user values known only at run time */
    size_t nslots;
    const char *const *data_columns; /* CSV data columns ({{data.NAME}}) */
    size_t ndata;
    const char *data_file;         /* for messages; NULL when the spec has no data file */
    const namepat_t *env_allow;    /* names env.NAME may read; NULL: NAMEPAT_DEFAULT_ENV */
    const char *env_allow_from;    /* the option that set env_allow; NULL: the default */
    redact_secrets_t *env_secrets; /* gets every value env.NAME read; NULL: none kept */
} tmpl_scope_t;

/* Per-render inputs. Borrowed for the duration of tmpl_render. */
typedef struct tmpl_ctx {
    uint32_t vu_id;
    uint64_t iteration;
    uint64_t *rng;               /* advanced by random.* and uuid */
    const char *const *slots;    /* values by slot index; NULL renders "" */
    const char *const *data_row; /* the user's CSV row by column; NULL renders "" */
} tmpl_ctx_t;

/* Returns a compiled template, or NULL with a one-line reason in err
 * (e.g. 'unknown variable "rom"; known: room, target, vu.id, ...').
 * The caller frees the result with tmpl_free(). */
tmpl_t *tmpl_compile(const char *src, const tmpl_scope_t *scope, char *err, size_t errlen);

/* Like tmpl_compile, for the len bytes of src (src[len] is NUL): literal
 * text may hold NUL bytes, which the rendering keeps (out->len counts
 * them). A NUL inside {{ }} is an error. */
tmpl_t *tmpl_compile_n(const char *src, size_t len, const tmpl_scope_t *scope, char *err,
                       size_t errlen);

/* Appends the rendering to out. Returns 0, or -1 on allocation failure. */
int tmpl_render(const tmpl_t *t, const tmpl_ctx_t *ctx, sbuf_t *out);

/* True when the template has no run-time parts (renders the same always). */
bool tmpl_is_constant(const tmpl_t *t);
/* True when the template renders the same for one user until its
 * captured values change: no now.*, random.* or uuid parts. */
bool tmpl_is_stable(const tmpl_t *t);

void tmpl_free(tmpl_t *t);

#endif
