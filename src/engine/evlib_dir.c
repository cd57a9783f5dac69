/* evlib_dir: loads libwebsockets' libev plugin from a relocated wsgate's lib/. */
#include <dlfcn.h>
#include <libwebsockets.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* libwebsockets 4.1 loads its event-loop plugin (libwebsockets-evlib_ev.so)
 * only from the directory it was built for (/usr/lib/x86_64-linux-gnu).
 * The relocatable tarball carries its own copy of libwebsockets and of that
 * plugin in lib/ beside bin/ (packaging/bundle-libs.sh); this override, in
 * the executable, so libwebsockets' own calls reach it, makes the bundled
 * copy load from there. Installed from the .deb there is no such lib/, and
 * every call goes through unchanged. */

#define EVLIB_PLUGIN_FILE "libwebsockets-evlib_ev.so"

typedef int (*plugins_init_fn)(struct lws_plugin **, const char *const *, const char *,
                               const char *, each_plugin_cb_t, void *);

/* Writes "<directory of this executable>/../lib" to out when that directory
 * holds the plugin; returns 0 then, -1 otherwise. */
static int bundled_lib_dir(char *out, size_t size)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return -1;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    char probe[PATH_MAX + 64];
    int len = snprintf(out, size, "%s/../lib", exe);
    if (len < 0 || (size_t)len >= size)
        return -1;
    snprintf(probe, sizeof probe, "%s/%s", out, EVLIB_PLUGIN_FILE);
    return access(probe, R_OK) == 0 ? 0 : -1;
}

/* Replaces libwebsockets' lws_plugins_init() for the event-loop class: the
 * bundled lib/ instead of the built-in directory, never both (a system's
 * plugin belongs to the system's libwebsockets). Other classes, and a wsgate
 * without a bundled lib/, pass through to the real one. */
int lws_plugins_init(struct lws_plugin **pplugin, const char *const *d, const char *_class,
                     const char *filter, each_plugin_cb_t each, void *each_user)
{
    plugins_init_fn real;
    *(void **)&real = dlsym(RTLD_NEXT, "lws_plugins_init");
    if (!real)
        return 1;
    char dir[PATH_MAX];
    if (!_class || strcmp(_class, "lws_evlib_plugin") != 0 || bundled_lib_dir(dir, sizeof dir) < 0)
        return real(pplugin, d, _class, filter, each, each_user);
    const char *const bundled[] = { dir, NULL };
    return real(pplugin, bundled, _class, filter, each, each_user);
}
