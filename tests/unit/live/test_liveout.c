/* Tests for src/live/liveout.c: a regular file gets every line; a pipe
 * whose reader does not read never blocks the writer and only ever holds
 * whole lines; a file that fails counts its lost lines with the first
 * reason. */
#define _GNU_SOURCE /* F_SETPIPE_SZ */
#include "helpers.h"

#include <fcntl.h>

#include "live/liveout.h"

#define LINE_LEN 1000

static void make_line(char *buf, unsigned i)
{
    memset(buf, 'a' + (char)(i % 26), LINE_LEN - 1);
    buf[LINE_LEN - 1] = '\n';
}

static void test_regular_file(void **state)
{
    char dir[128], path[192];
    make_tmpdir(dir, sizeof dir, "liveout");
    snprintf(path, sizeof path, "%s/live.ndjson", dir);
    write_file(path, "old content that must go\n");
    char err[256];
    liveout_t *o = liveout_open(path, err, sizeof err);
    assert_non_null(o);
    liveout_write(o, "{\"a\":1}\n", 8);
    liveout_write_last(o, "{\"b\":2}\n", 8, 100);
    const char *why;
    assert_int_equal(liveout_lost(o, &why), 0);
    liveout_close(o);
    char *text = read_whole(path);
    assert_string_equal(text, "{\"a\":1}\n{\"b\":2}\n");
    free(text);
    unlink(path);
    rmdir(dir);
}

static void test_open_fails(void **state)
{
    char err[256];
    assert_null(liveout_open("/nonexistent-dir/live.ndjson", err, sizeof err));
    assert_contains(err, "/nonexistent-dir/live.ndjson: No such file or directory");
}

static void test_full_device(void **state)
{
    char err[256];
    liveout_t *o = liveout_open("/dev/full", err, sizeof err);
    assert_non_null(o);
    for (int i = 0; i < 3; i++)
        liveout_write(o, "{}\n", 3);
    liveout_write_last(o, "{}\n", 3, 10);
    const char *why;
    assert_int_equal(liveout_lost(o, &why), 4);
    assert_string_equal(why, "write: No space left on device");
    liveout_close(o);
}

/* A reader that never reads: every write returns at once; what the pipe
 * holds is whole lines, in order, ending with the last line once the
 * reader catches up. */
static void test_stuck_reader(void **state)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    assert_true(fcntl(fds[1], F_SETPIPE_SZ, 4096) >= 4096);
    char path[64], err[256], line[LINE_LEN];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fds[1]);
    liveout_t *o = liveout_open(path, err, sizeof err);
    assert_non_null(o);
    uint64_t t0 = mono_us();
    for (unsigned i = 0; i < 200; i++) {
        make_line(line, i);
        liveout_write(o, line, LINE_LEN);
    }
    assert_true(mono_us() - t0 < 1000000); /* never waited for the reader */
    const char *why;
    uint64_t lost = liveout_lost(o, &why);
    assert_true(lost > 150 && lost < 200);
    assert_string_equal(why, "the reader does not keep up");

    /* the reader catches up: the pipe holds whole lines, then the last one */
    assert_int_equal(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
    static char got[1 << 20];
    size_t len = 0;
    for (int tries = 0; tries < 1000; tries++) {
        ssize_t n = read(fds[0], got + len, sizeof got - len);
        if (n > 0)
            len += (size_t)n;
        if (tries == 0)
            liveout_write_last(o, "{\"event\":\"end\"}\n", 16, 0);
        if (len >= 16 && memcmp(got + len - 16, "{\"event\":\"end\"}\n", 16) == 0)
            break;
        liveout_write_last(o, "", 0, 10); /* drains what was left */
    }
    assert_true(len >= 16 && memcmp(got + len - 16, "{\"event\":\"end\"}\n", 16) == 0);
    assert_int_equal((len - 16) % LINE_LEN, 0);
    for (size_t at = 0; at + 16 < len; at += LINE_LEN) {
        assert_int_equal(got[at + LINE_LEN - 1], '\n');
        assert_null(memchr(got + at, '\n', LINE_LEN - 1));
    }
    liveout_close(o);
    close(fds[0]);
    close(fds[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regular_file),
        cmocka_unit_test(test_open_fails),
        cmocka_unit_test(test_full_device),
        cmocka_unit_test(test_stuck_reader),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
