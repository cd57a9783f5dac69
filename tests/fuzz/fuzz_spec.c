/* fuzz_spec: loads any bytes as a spec file (spec_load reads a path, so the
 * input goes to a private temporary file first). Relative paths inside
 * (data files, certificates) resolve in that file's directory. */
#include "fuzz.h"

#include <stdio.h>
#include <unistd.h>

#include "spec/spec.h"

static char path[64];

static void make_path(void)
{
    char dir[] = "/tmp/wsgate-fuzz-spec-XXXXXX";
    if (!mkdtemp(dir))
        abort();
    snprintf(path, sizeof(path), "%s/spec.yaml", dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0])
        make_path();
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
    char err[512];
    spec_opts_t opts = { 0 };
    spec_t *s = spec_load(path, &opts, err, sizeof(err));
    spec_free(s);
    return 0;
}
