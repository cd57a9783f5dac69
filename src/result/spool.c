/* spool: a run's closed seconds in an unlinked temporary file, read back one at a time. */
#include "result/spool.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NO_HIST UINT32_MAX /* a step without a sample that second */

/* Owns f. */
struct res_spool {
    FILE *f;
    size_t nsteps;
    size_t count;
    size_t bytes;
    bool failed; /* an append failed: the file may hold a partial record */
};

/* One record: the counters in this order, then per step a length (NO_HIST
 * or the text's bytes) and the text without its NUL. */
typedef struct record_head {
    uint64_t active, sent, received, errors;
    uint64_t errors_by_kind[ERR_KIND_COUNT];
} record_head_t;

static FILE *open_unlinked(char *err, size_t errlen)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    if (!dir || !*dir)
        dir = "/tmp";
    snprintf(path, sizeof(path), "%s/wsgate-series.XXXXXX", dir);
    int fd = mkstemp(path);
    if (fd < 0) {
        snprintf(err, errlen,
                 "cannot create the series spool in %s: %s; set TMPDIR to a writable directory",
                 dir, strerror(errno));
        return NULL;
    }
    unlink(path);
    FILE *f = fdopen(fd, "w+b");
    if (!f) {
        snprintf(err, errlen, "cannot open the series spool: %s", strerror(errno));
        close(fd);
    }
    return f;
}

res_spool_t *spool_new(size_t nsteps, char *err, size_t errlen)
{
    res_spool_t *sp = calloc(1, sizeof(*sp));
    if (!sp) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    sp->nsteps = nsteps;
    if (!(sp->f = open_unlinked(err, errlen))) {
        free(sp);
        return NULL;
    }
    return sp;
}

void spool_free(res_spool_t *sp)
{
    if (!sp)
        return;
    if (sp->f)
        fclose(sp->f);
    free(sp);
}

static bool put(res_spool_t *sp, const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, sp->f) != n)
        return false;
    sp->bytes += n;
    return true;
}

int spool_append(res_spool_t *sp, const res_second_t *sec)
{
    if (sp->failed)
        return -1;
    record_head_t h = { sec->active, sec->sent, sec->received, sec->errors, { 0 } };
    memcpy(h.errors_by_kind, sec->errors_by_kind, sizeof(h.errors_by_kind));
    bool ok = put(sp, &h, sizeof(h));
    for (size_t i = 0; ok && i < sp->nsteps; i++) {
        const char *text = sec->step_hist ? sec->step_hist[i] : NULL;
        size_t len = text ? strlen(text) : 0;
        uint32_t n = text && len < NO_HIST ? (uint32_t)len : NO_HIST;
        ok = put(sp, &n, sizeof(n)) && (n == NO_HIST || put(sp, text, n));
    }
    if (!ok) {
        sp->failed = true;
        return -1;
    }
    sp->count++;
    return 0;
}

size_t spool_count(const res_spool_t *sp)
{
    return sp->count;
}

size_t spool_bytes(const res_spool_t *sp)
{
    return sp->bytes;
}

/* Reads one record's step texts into sec->step_hist, an array of nsteps
 * texts, each NULL when the step had no sample (as the engine's merge
 * leaves it). */
static int read_hists(FILE *f, res_second_t *sec, size_t nsteps)
{
    if (!(sec->step_hist = calloc(nsteps ? nsteps : 1, sizeof(char *))))
        return -1;
    for (size_t i = 0; i < nsteps; i++) {
        uint32_t n;
        if (fread(&n, sizeof(n), 1, f) != 1)
            return -1;
        if (n == NO_HIST)
            continue;
        if (!(sec->step_hist[i] = malloc((size_t)n + 1)) ||
            (n && fread(sec->step_hist[i], 1, n, f) != n))
            return -1;
        sec->step_hist[i][n] = '\0';
    }
    return 0;
}

static int read_second(FILE *f, res_second_t *sec, size_t nsteps)
{
    record_head_t h;
    if (fread(&h, sizeof(h), 1, f) != 1)
        return -1;
    sec->active = h.active;
    sec->sent = h.sent;
    sec->received = h.received;
    sec->errors = h.errors;
    memcpy(sec->errors_by_kind, h.errors_by_kind, sizeof(sec->errors_by_kind));
    return read_hists(f, sec, nsteps);
}

static void clear_second(res_second_t *sec, size_t nsteps)
{
    for (size_t i = 0; sec->step_hist && i < nsteps; i++)
        free(sec->step_hist[i]);
    free(sec->step_hist);
    sec->step_hist = NULL;
}

int spool_each(res_spool_t *sp, res_second_fn fn, void *ctx)
{
    if (sp->count == 0)
        return 0;
    if (sp->failed || fflush(sp->f) != 0 || fseek(sp->f, 0, SEEK_SET) != 0)
        return -1;
    int rc = 0;
    for (size_t t = 0; t < sp->count && rc == 0; t++) {
        res_second_t sec;
        memset(&sec, 0, sizeof(sec));
        rc = read_second(sp->f, &sec, sp->nsteps) < 0 ? -1 : fn(&sec, t, ctx);
        clear_second(&sec, sp->nsteps);
    }
    if (fseek(sp->f, 0, SEEK_END) != 0) /* appends go on at the end */
        rc = rc ? rc : -1;
    return rc;
}
