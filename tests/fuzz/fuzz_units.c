/* fuzz_units: durations, rates and think-time pauses from any text; what
 * parses is sampled and formatted back. */
#include "fuzz.h"

#include "base/units.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size), err[256], buf[64];
    uint64_t us, rng = 1;
    double rate;
    pause_t pause;
    if (units_parse_duration(s, &us, err, sizeof(err)) == 0)
        units_format_us((double)us, buf, sizeof(buf));
    if (units_parse_rate(s, &rate, err, sizeof(err)) == 0)
        units_format_us(rate, buf, sizeof(buf));
    if (units_parse_pause(s, &pause, err, sizeof(err)) == 0)
        for (int i = 0; i < 4; i++)
            units_format_us((double)pause_sample(&pause, &rng), buf, sizeof(buf));
    free(s);
    return 0;
}
