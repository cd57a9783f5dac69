/* fuzz_data: parses any bytes as the CSV data file of a spec and reads
 * every row and column that parsed. */
#include "fuzz.h"

#include "spec/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    data_t *d = data_parse((const char *)data, size, "fuzz.csv", err, sizeof(err));
    if (!d)
        return 0;
    size_t ncol = data_ncolumns(d), sum = 0;
    const char *const *cols = data_columns(d);
    for (size_t c = 0; c < ncol; c++)
        data_column(d, cols[c]);
    for (size_t r = 0; r < data_nrows(d); r++) {
        const char *const *row = data_row(d, r);
        for (size_t c = 0; c < ncol; c++)
            sum += strlen(row[c]);
    }
    data_pick(data_nrows(d), true, sum, 3);
    data_free(d);
    return 0;
}
