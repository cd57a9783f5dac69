/* fuzz_hist: decodes any text as a histogram; what decodes must encode and
 * decode again to the same counts and percentiles. */
#include "fuzz.h"

#include "result/hist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size), err[256];
    hist_t *h = hist_decode(s, err, sizeof(err));
    free(s);
    if (!h)
        return 0;
    char *text = hist_encode(h);
    hist_t *again = text ? hist_decode(text, err, sizeof(err)) : NULL;
    if (text && (!again || hist_count(again) != hist_count(h) ||
                 hist_percentile(again, 99) != hist_percentile(h, 99) ||
                 hist_min(again) != hist_min(h) || hist_max(again) != hist_max(h)))
        abort(); /* encode and decode disagree */
    hist_mean(h);
    hist_free(again);
    hist_free(h);
    free(text);
    return 0;
}
