/* fuzz_result: reads any text as a result.json and, when it loads, renders
 * it with every reporter and the stdout summary (what `wsgate report`
 * does), into memory. */
#include "fuzz.h"

#include <stdio.h>

#include "reporters/reporter.h"
#include "result/result_load.h"

static void render_all(const result_t *r)
{
    char err[256];
    for (const reporter_t *const *rep = reporters_all; *rep; rep++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&buf, &len);
        if (!out)
            abort();
        (*rep)->write(r, out, err, sizeof(err));
        fclose(out);
        free(buf);
    }
    FILE *sink = fopen("/dev/null", "w");
    if (sink) {
        report_print_summary(r, sink);
        fclose(sink);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size), err[256];
    result_t r = { 0 };
    if (result_from_json(text, &r, err, sizeof(err)) == 0) {
        render_all(&r);
        result_clear(&r);
    }
    free(text);
    return 0;
}
