/* Unit tests for src/base/pem.c: certificate and key files a spec names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/pem.h"
#include "serve/internal.h"
#include "helpers.h"

/* Two fresh self-signed pairs (serve --tls's generator) in temp dirs. */
typedef struct dirs {
    char a[64], b[64];
    char path[8][128];
} dirs_t;

static int setup(void **state)
{
    dirs_t *d = calloc(1, sizeof(*d));
    assert_non_null(d);
    char err[256];
    make_tmpdir(d->a, sizeof(d->a), "pem-a");
    make_tmpdir(d->b, sizeof(d->b), "pem-b");
    if (serve_tls_make(d->a, err, sizeof(err)) < 0 || serve_tls_make(d->b, err, sizeof(err)) < 0)
        fail_msg("serve_tls_make: %s", err);
    *state = d;
    return 0;
}

static int teardown(void **state)
{
    dirs_t *d = *state;
    rm_tree(d->a);
    rm_tree(d->b);
    free(d);
    return 0;
}

static const char *in(const char *dir, const char *file)
{
    static char buf[4][160];
    static int n;
    char *p = buf[n++ % 4];
    snprintf(p, 160, "%s/%s", dir, file);
    return p;
}

static void test_good_files(void **state)
{
    dirs_t *d = *state;
    char err[512] = "";
    assert_int_equal(pem_check_certs(in(d->a, "cert.pem"), err, sizeof(err)), 0);
    assert_int_equal(pem_check_key(in(d->a, "cert.pem"), in(d->a, "key.pem"), err, sizeof(err)), 0);
}

static void test_bad_files(void **state)
{
    dirs_t *d = *state;
    char err[512];
    assert_int_equal(pem_check_certs(in(d->a, "none.pem"), err, sizeof(err)), -1);
    assert_contains(err, "cannot read ");
    assert_contains(err, "none.pem: No such file or directory");
    /* a key is not a certificate */
    assert_int_equal(pem_check_certs(in(d->a, "key.pem"), err, sizeof(err)), -1);
    assert_contains(err, "key.pem has no PEM certificate");
    write_file(in(d->a, "junk.pem"), "not pem at all\n");
    assert_int_equal(pem_check_certs(in(d->a, "junk.pem"), err, sizeof(err)), -1);
    assert_contains(err, "junk.pem has no PEM certificate");
    assert_int_equal(pem_check_key(in(d->a, "cert.pem"), in(d->a, "junk.pem"), err, sizeof(err)),
                     -1);
    assert_contains(err, "junk.pem has no unencrypted PEM private key");
    /* b's key with a's certificate */
    assert_int_equal(pem_check_key(in(d->a, "cert.pem"), in(d->b, "key.pem"), err, sizeof(err)),
                     -1);
    assert_contains(err, "is not the private key of the certificate in");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_files),
        cmocka_unit_test(test_bad_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
