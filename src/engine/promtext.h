/* promtext: reads the Prometheus text exposition format (version 0.0.4,
 * and the OpenMetrics text that shares it) and picks samples out of it.
 *
 * One sample a line: NAME[{LABEL="VALUE",...}] VALUE [TIMESTAMP]. Lines
 * that are empty or start with "#" (HELP, TYPE, EOF, comments) are
 * skipped; label values take the escapes \\ \" and \n; a value is a
 * decimal or exponent number, +Inf, -Inf or NaN; a timestamp is read and
 * ignored; a line may end in \r\n. */
#ifndef WSGATE_PROMTEXT_H
#define WSGATE_PROMTEXT_H

#include <stdbool.h>
#include <stddef.h>

#define PROMTEXT_MAX_LABELS 32
#define PROMTEXT_MAX_TEXT 1024 /* a name or an unescaped label value, with its NUL */

typedef struct promtext_label {
    char name[PROMTEXT_MAX_TEXT];
    char value[PROMTEXT_MAX_TEXT];
} promtext_label_t;

/* One sample, or one selector (then value is unused). */
typedef struct promtext_sample {
    char name[PROMTEXT_MAX_TEXT];
    promtext_label_t labels[PROMTEXT_MAX_LABELS];
    size_t nlabels;
    double value;
} promtext_sample_t;

/* Called for each sample, in order. */
typedef void (*promtext_fn)(const promtext_sample_t *s, void *ctx);

/* Parses the len bytes of text (no NUL needed). Returns the number of
 * samples (fn was called for each), or -1 with "line N: reason" in err at
 * the first line that is not the format (fn was called for the lines
 * before it). */
long promtext_parse(const char *text, size_t len, promtext_fn fn, void *ctx, char *err,
                    size_t errlen);

/* Parses a selector NAME or NAME{LABEL="VALUE",...} (the sample syntax
 * without value). Returns 0, or -1 with a reason in err. */
int promtext_selector(const char *sel, promtext_sample_t *out, char *err, size_t errlen);

/* True when s has sel's name and every label of sel with the same value. */
bool promtext_match(const promtext_sample_t *sel, const promtext_sample_t *s);

#endif
