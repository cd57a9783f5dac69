/* pem: checks the TLS files a spec names (tls.ca_file, client_cert,
 * client_key) when it loads, so a wrong file is a spec error with a line
 * rather than a worker that cannot start. */
#ifndef WSGATE_PEM_H
#define WSGATE_PEM_H

#include <stddef.h>

/* 0 when path is a readable PEM file with at least one certificate; else
 * -1 with a reason in err ("cannot read ca.pem: No such file or
 * directory", "ca.pem has no PEM certificate"). */
int pem_check_certs(const char *path, char *err, size_t errlen);

/* 0 when key is a readable PEM private key (unencrypted) that belongs to
 * the first certificate in cert; else -1 with a reason in err. */
int pem_check_key(const char *cert, const char *key, char *err, size_t errlen);

#endif
