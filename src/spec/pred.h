/* pred: predicates over messages as JSON objects, compiled once when the
 * spec loads. A protocol other than json shows its frames as objects too
 * (text: {text, json}; stomp: {command, headers, body, json}).
 *
 * Grammar:
 *   expr   := and ( '||' and )*
 *   and    := unary ( '&&' unary )*
 *   unary  := '!' unary | '(' expr ')' | cmp
 *   cmp    := path OP literal | path 'in' '[' literal (',' literal)* ']'
 *           | path 'contains' literal    (a substring of a string field, or
 *                                         an element of an array field)
 *           | path '~' string            (a string field the POSIX extended
 *                                         regex matches; compiled at load)
 *           | path                       (field exists and is not false/null)
 *   OP     := '==' | '!=' | '<' | '<=' | '>' | '>='
 *   path   := ident ( '.' ident | '[' integer ']' )*     e.g. data.items[0].id
 *   literal:= "string" | 'string' | number | true | false | null
 * Strings compare only to strings, numbers only to numbers (ordered ops
 * need numbers); a missing field makes any comparison false (and != true).
 * A non-JSON message matches nothing. */
#ifndef WSGATE_PRED_H
#define WSGATE_PRED_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "spec/tmpl.h"

typedef struct pred pred_t;

/* Returns the compiled predicate, or NULL with a one-line reason in err that
 * names the column, e.g. 'column 6: expected == != < <= > >= in contains or ~'.
 * The caller frees the result with pred_free(). */
pred_t *pred_compile(const char *src, char *err, size_t errlen);

/* Like pred_compile, and a quoted string may be a template over scope
 * ('id == "{{op_id}}"', 'to == "user-{{vu.id}}"'): one that renders the
 * same for everyone is folded at once; one of a user's own values (vu.id,
 * vu.iteration, captured slots, data.*) is rendered for that user when the
 * predicate is evaluated (pred_eval_for); now.*, random.* and uuid, which
 * would change on every message, and templates in a ~ regex are errors. */
pred_t *pred_compile_scoped(const char *src, const tmpl_scope_t *scope, char *err, size_t errlen);

/* Evaluates against a parsed message (NULL means "not JSON": false); the
 * templates in strings render for the user of ctx (NULL: as if no user
 * value were set). */
bool pred_eval_for(const pred_t *p, const cJSON *msg, const tmpl_ctx_t *ctx);
/* pred_eval_for rendering the templates into scratch (truncated first,
 * kept by the caller for the next evaluation): no allocation per
 * evaluation once scratch has grown. */
bool pred_eval_in(const pred_t *p, const cJSON *msg, const tmpl_ctx_t *ctx, sbuf_t *scratch);
/* pred_eval_for with no user. */
bool pred_eval(const pred_t *p, const cJSON *msg);

/* A bare path (e.g. ts or message.sentAt), for reading a value rather than
 * testing one. Returns NULL with a one-line reason in err when src is not
 * exactly one path. Free with pred_free(). */
pred_t *pred_path_compile(const char *src, char *err, size_t errlen);

/* Reads the number at path p (from pred_path_compile) in msg. Returns false
 * when msg is not an object, the field is missing or is not a number. */
bool pred_path_number(const pred_t *p, const cJSON *msg, double *out);

/* The JSON value at path p (from pred_path_compile) in msg, or NULL when
 * msg is not an object or the field is missing. Borrowed from msg. */
const cJSON *pred_path_value(const pred_t *p, const cJSON *msg);

/* Calls fn(key, arg) with the first field of every path in p, repeats
 * included ('type == "quote" && data.id > 1': "type", then "data"): the
 * top-level fields of a message that evaluating p can read. NULL: none. */
void pred_root_keys(const pred_t *p, void (*fn)(const char *key, void *arg), void *arg);

void pred_free(pred_t *p);

#endif
