/* runmeta: where a result came from, for reports and for merge's "same
 * spec" check: the spec file's SHA-256 and the commit and ref that CI
 * variables name (GitHub Actions, GitLab CI, Jenkins, or WSGATE_GIT_*). */
#ifndef WSGATE_RUNMETA_H
#define WSGATE_RUNMETA_H

#include <stddef.h>

#include "result/result.h"

/* Hex SHA-256 of the file at path (malloc'd), or NULL with a reason. */
char *runmeta_file_sha256(const char *path, char *err, size_t errlen);

/* Sets r->spec_hash, r->git_commit and r->git_ref (each may stay NULL).
 * Returns 0, or -1 with a reason when the spec file cannot be read. */
int runmeta_fill(result_t *r, const char *spec_path, char *err, size_t errlen);

#endif
