/* fuzz_pred: compiles any text as a predicate (plain, and with templated
 * strings over a scope) and as a path, and evaluates what compiles against
 * a few messages, for a user with values and for none. */
#include "fuzz.h"

#include <cjson/cJSON.h>

#include "spec/pred.h"

static const char *const messages[] = {
    "{\"type\":\"ack\",\"a\":1,\"data\":{\"items\":[{\"id\":\"x\"},2,null]},\"ok\":true}",
    "{\"type\":\"quote\",\"price\":-1.5e3,\"s\":\"\"}",
    "{}",
};

static const char *const names[] = { "room" }, *const values[] = { "r1" };
static const char *const slot_names[] = { "op_id" };
static const tmpl_scope_t scope = {
    .const_names = names, .const_values = values, .nconst = 1, .slot_names = slot_names, .nslots = 1
};

static void eval_all(const pred_t *p)
{
    const char *slots[] = { "x" };
    tmpl_ctx_t user = { .vu_id = 7, .slots = slots };
    for (size_t i = 0; i < sizeof(messages) / sizeof(messages[0]); i++) {
        cJSON *m = cJSON_Parse(messages[i]);
        double d;
        pred_eval(p, m);
        pred_eval_for(p, m, &user);
        pred_path_number(p, m, &d);
        pred_path_value(p, m);
        cJSON_Delete(m);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *src = fuzz_cstr(data, size), err[256];
    pred_t *p = pred_compile(src, err, sizeof(err));
    if (p) {
        eval_all(p);
        pred_free(p);
    }
    p = pred_compile_scoped(src, &scope, err, sizeof(err));
    if (p) {
        eval_all(p);
        pred_free(p);
    }
    p = pred_path_compile(src, err, sizeof(err));
    if (p) {
        eval_all(p);
        pred_free(p);
    }
    free(src);
    return 0;
}
