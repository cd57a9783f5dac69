/* fuzz_merge: two result.json texts separated by a line "----" (or the
 * input twice when there is no separator) merged as shards would be. */
#include "fuzz.h"

#include "result/merge.h"
#include "result/result_load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size), err[256];
    char *sep = strstr(text, "\n----\n");
    const char *second = text;
    if (sep) {
        *sep = '\0';
        second = sep + 6;
    }
    result_t a = { 0 }, b = { 0 }, m = { 0 };
    if (result_from_json(text, &a, err, sizeof(err)) == 0 &&
        result_from_json(second, &b, err, sizeof(err)) == 0) {
        const result_t *in[] = { &a, &b };
        merge_results(in, NULL, 2, true, &m, err, sizeof(err));
        result_clear(&m);
    }
    result_clear(&a);
    result_clear(&b);
    free(text);
    return 0;
}
