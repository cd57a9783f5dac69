/* serve_tls: the throwaway certificate and the session ticket key of `wsgate serve --tls`. */
/* The certificate is its own CA (basicConstraints CA:TRUE) so a client can
 * trust it directly; it names localhost, 127.0.0.1 and ::1 and lasts one
 * day. One ticket key serves every thread (serve_tls_share_tickets). */
#include "serve/internal.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdio.h>

static EVP_PKEY *key_new(void)
{
    EVP_PKEY *k = NULL;
    EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL);
    if (kc && EVP_PKEY_keygen_init(kc) > 0 &&
        EVP_PKEY_CTX_set_ec_paramgen_curve_nid(kc, NID_X9_62_prime256v1) > 0)
        EVP_PKEY_keygen(kc, &k);
    EVP_PKEY_CTX_free(kc);
    return k;
}

static int add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    int ok = e && X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    return ok ? 0 : -1;
}

static X509 *cert_new(EVP_PKEY *k)
{
    X509 *x = X509_new();
    X509_NAME *name = x ? X509_get_subject_name(x) : NULL;
    if (!name || !X509_set_version(x, 2) ||
        !ASN1_INTEGER_set(X509_get_serialNumber(x), (long)time(NULL)) ||
        !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), 86400) || !X509_set_pubkey(x, k) ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost",
                                    -1, -1, 0) ||
        !X509_set_issuer_name(x, name) ||
        add_ext(x, NID_basic_constraints, "critical,CA:TRUE") < 0 ||
        add_ext(x, NID_key_usage, "critical,digitalSignature,keyCertSign") < 0 ||
        add_ext(x, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1") < 0 ||
        add_ext(x, NID_subject_key_identifier, "hash") < 0 || !X509_sign(x, k, EVP_sha256())) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static int write_pem(const char *path, X509 *x, EVP_PKEY *k)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int ok = x ? PEM_write_X509(f, x) : PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
    return fclose(f) == 0 && ok ? 0 : -1;
}

int serve_tls_make(const char *dir, char *err, size_t errlen)
{
    char path[300];
    int rc = -1;
    EVP_PKEY *k = key_new();
    X509 *x = k ? cert_new(k) : NULL;
    if (!x) {
        snprintf(err, errlen, "cannot make a self-signed certificate with OpenSSL");
        goto fail;
    }
    snprintf(path, sizeof(path), "%s/key.pem", dir);
    if (write_pem(path, NULL, k) < 0)
        goto write_fail;
    snprintf(path, sizeof(path), "%s/cert.pem", dir);
    if (write_pem(path, x, NULL) < 0)
        goto write_fail;
    rc = 0;
    goto fail;
write_fail:
    snprintf(err, errlen, "cannot write %s", path);
fail:
    X509_free(x);
    EVP_PKEY_free(k);
    return rc;
}

static unsigned char ticket_key[80]; /* name, HMAC and AES keys */
static bool ticket_key_ok;
static pthread_once_t ticket_once = PTHREAD_ONCE_INIT;

static void ticket_key_make(void)
{
    ticket_key_ok = RAND_bytes(ticket_key, sizeof(ticket_key)) == 1;
}

void serve_tls_share_tickets(void *ssl_ctx)
{
    pthread_once(&ticket_once, ticket_key_make);
    if (ticket_key_ok) /* else each context keeps its own: resumption per thread only */
        SSL_CTX_set_tlsext_ticket_keys(ssl_ctx, ticket_key, sizeof(ticket_key));
}
