/* runmeta: where a result came from (spec hash, CI commit and ref); see runmeta.h. */
#include "result/runmeta.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

char *runmeta_file_sha256(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char buf[8192], digest[EVP_MAX_MD_SIZE];
    unsigned dlen = 0;
    size_t n;
    int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    while (ok && (n = fread(buf, 1, sizeof(buf), f)) > 0)
        ok = EVP_DigestUpdate(md, buf, n);
    ok = ok && !ferror(f) && EVP_DigestFinal_ex(md, digest, &dlen);
    EVP_MD_CTX_free(md);
    fclose(f);
    char *hex = ok ? malloc(dlen * 2 + 1) : NULL;
    if (!hex) {
        snprintf(err, errlen, "%s: cannot hash the file", path);
        return NULL;
    }
    for (unsigned i = 0; i < dlen; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    return hex;
}

/* The first variable of names that is set and non-empty, copied; NULL. */
static char *first_env(const char *const *names)
{
    for (; *names; names++) {
        const char *v = getenv(*names);
        if (v && *v)
            return strdup(v);
    }
    return NULL;
}

int runmeta_fill(result_t *r, const char *spec_path, char *err, size_t errlen)
{
    static const char *const commit_vars[] = { "WSGATE_GIT_COMMIT", "GITHUB_SHA", "CI_COMMIT_SHA",
                                               "GIT_COMMIT", NULL };
    static const char *const ref_vars[] = { "WSGATE_GIT_REF",  "GITHUB_HEAD_REF",
                                            "GITHUB_REF_NAME", "CI_COMMIT_REF_NAME",
                                            "GIT_BRANCH",      NULL };
    r->spec_hash = runmeta_file_sha256(spec_path, err, errlen);
    if (!r->spec_hash)
        return -1;
    r->git_commit = first_env(commit_vars);
    r->git_ref = first_env(ref_vars);
    return 0;
}
