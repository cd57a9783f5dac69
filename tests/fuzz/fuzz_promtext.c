/* fuzz_promtext: parses any bytes as a Prometheus text exposition (what an
 * observe: endpoint answers) and as a selector, then matches every sample
 * against the selector, and normalises the bytes as a spec's selector.
 * Bad text must be an error with its line, never a crash or a read past
 * the input (the parser takes a length, not a C string). */
#include "fuzz.h"

#include "engine/promtext.h"
#include "result/observed.h"

static void on_sample(const promtext_sample_t *s, void *ctx)
{
    const promtext_sample_t *sel = ctx;
    (void)promtext_match(sel, s);
    (void)promtext_match(s, sel);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256], norm[1024];
    promtext_sample_t *sel = calloc(1, sizeof(*sel));
    char *text = malloc(size ? size : 1); /* exactly size bytes: ASan sees any overread */
    if (!sel || !text)
        abort();
    memcpy(text, data, size);
    char *cstr = fuzz_cstr(data, size);
    if (promtext_selector(cstr, sel, err, sizeof(err)) < 0)
        strcpy(sel->name, "up");
    (void)promtext_parse(text, size, on_sample, sel, err, sizeof(err));
    (void)obs_selector_norm(cstr, norm, sizeof(norm), err, sizeof(err));
    free(cstr);
    free(text);
    free(sel);
    return 0;
}
