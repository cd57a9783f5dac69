/* fuzz_tmpl: compiles any text as a template in a scope with constants,
 * slots and data columns, and renders what compiles. */
#include "fuzz.h"

#include "spec/tmpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const cnames[] = { "room", "target" };
    static const char *const cvalues[] = { "lobby", "ws://127.0.0.1:1/ws" };
    static const char *const slots[] = { "token", "seq" };
    static const char *const columns[] = { "user", "password" };
    static const char *const row[] = { "alice", "s3cret" };
    const tmpl_scope_t scope = { .const_names = cnames,
                                 .const_values = cvalues,
                                 .nconst = 2,
                                 .slot_names = slots,
                                 .nslots = 2,
                                 .data_columns = columns,
                                 .ndata = 2,
                                 .data_file = "users.csv" };
    char *src = fuzz_cstr(data, size), err[256];
    tmpl_t *t = tmpl_compile(src, &scope, err, sizeof(err));
    if (t) {
        uint64_t rng = 42;
        const char *values[] = { "tok", NULL };
        tmpl_ctx_t ctx = {
            .vu_id = 7, .iteration = 3, .rng = &rng, .slots = values, .data_row = row
        };
        sbuf_t out = { 0 };
        tmpl_render(t, &ctx, &out);
        tmpl_is_constant(t);
        sbuf_free(&out);
        tmpl_free(t);
    }
    free(src);
    return 0;
}
