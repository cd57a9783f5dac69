/* pem: TLS file checks with OpenSSL; see pem.h. */
#include "base/pem.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static FILE *open_or_fail(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
    return f;
}

/* The first certificate in path, or NULL with a reason in err. */
static X509 *first_cert(const char *path, char *err, size_t errlen)
{
    FILE *f = open_or_fail(path, err, errlen);
    if (!f)
        return NULL;
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    ERR_clear_error();
    if (!x)
        snprintf(err, errlen, "%s has no PEM certificate (-----BEGIN CERTIFICATE-----)", path);
    return x;
}

int pem_check_certs(const char *path, char *err, size_t errlen)
{
    X509 *x = first_cert(path, err, errlen);
    X509_free(x);
    return x ? 0 : -1;
}

/* No passphrase prompt: an encrypted key fails to load instead of asking. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

int pem_check_key(const char *cert, const char *key, char *err, size_t errlen)
{
    X509 *x = first_cert(cert, err, errlen);
    if (!x)
        return -1;
    int rc = -1;
    EVP_PKEY *k = NULL;
    FILE *f = open_or_fail(key, err, errlen);
    if (f) {
        k = PEM_read_PrivateKey(f, NULL, no_passphrase, NULL);
        fclose(f);
        if (!k)
            snprintf(err, errlen,
                     "%s has no unencrypted PEM private key (-----BEGIN PRIVATE KEY-----)", key);
        else if (X509_check_private_key(x, k) != 1)
            snprintf(err, errlen, "%s is not the private key of the certificate in %s", key, cert);
        else
            rc = 0;
    }
    ERR_clear_error();
    EVP_PKEY_free(k);
    X509_free(x);
    return rc;
}
