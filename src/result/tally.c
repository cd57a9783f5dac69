/* tally: the end-of-run check that a result's counts add up; see tally.h. */
#include "result/tally.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tally_add(result_t *r, const char *text)
{
    for (size_t i = 0; i < r->nwarnings; i++)
        if (strcmp(r->warnings[i], text) == 0)
            return 0;
    char **grown = realloc(r->warnings, (r->nwarnings + 1) * sizeof(*grown));
    if (!grown)
        return -1;
    r->warnings = grown;
    if (!(r->warnings[r->nwarnings] = strdup(text)))
        return -1;
    r->nwarnings++;
    return 0;
}

int tally_warn(result_t *r, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return tally_add(r, buf);
}

/* connect ok + failed + abandoned == attempts. Returns 1 when broken, 0
 * when it holds or cannot be checked, -1 when out of memory. */
static int check_connects(result_t *r)
{
    if (!r->counts_known || r->nsteps == 0)
        return 0;
    const res_step_t *c = &r->steps[0]; /* connect is always the first step */
    uint64_t ended = c->ok + c->failed + r->connect_abandoned;
    if (ended == r->connect_attempts)
        return 0;
    int rc = tally_warn(r,
                        "connect counts do not add up: %" PRIu64 " ok + %" PRIu64
                        " failed + %" PRIu64 " abandoned = %" PRIu64 ", but %" PRIu64
                        " connects were attempted; the connect figures and the verdict "
                        "on them are not to be trusted",
                        c->ok, c->failed, r->connect_abandoned, ended, r->connect_attempts);
    return rc < 0 ? -1 : 1;
}

/* connections.peak <= users. Returns as check_connects. */
static int check_peak(result_t *r)
{
    if (r->users_planned == 0 || r->peak_active <= r->users_planned)
        return 0;
    int rc = tally_warn(r,
                        "%" PRIu64 " connections were counted open at once, but only %u users "
                        "ran; the connection counts are not to be trusted",
                        r->peak_active, r->users_planned);
    return rc < 0 ? -1 : 1;
}

int tally_check(result_t *r)
{
    int a = check_connects(r);
    int b = check_peak(r);
    if (a < 0 || b < 0)
        return -1;
    return a + b;
}
