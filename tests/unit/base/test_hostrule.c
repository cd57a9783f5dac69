/* Unit tests for src/base/hostrule.c: names, *. wildcards, addresses and
 * CIDR ranges of both families, ports, IPv4 written as IPv6, the policy of
 * allow and block lists before and after DNS, and each bad entry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/hostrule.h"
#include "helpers.h"

static hostrules_t *rules(const char *list)
{
    char err[256] = "";
    hostrules_t *r = hostrules_parse(list, err, sizeof(err));
    if (!r)
        fail_msg("hostrules_parse(\"%s\"): %s", list, err);
    return r;
}

/* One case: does list match name/addr on port? */
typedef struct match_case {
    const char *list;
    const char *name; /* NULL: unknown */
    const char *addr; /* NULL: not resolved */
    int port;
    bool match;
} match_case_t;

static const match_case_t match_cases[] = {
    /* names: exact, any case, trailing dots */
    { "api.example.com", "api.example.com", NULL, 443, true },
    { "api.example.com", "API.Example.COM.", NULL, 443, true },
    { "api.example.com.", "api.example.com", NULL, 443, true },
    { "api.example.com", "example.com", NULL, 443, false },
    { "api.example.com", "xapi.example.com", NULL, 443, false },
    { "api.example.com", NULL, "10.0.0.1", 443, false },
    /* *. wildcards: names below, not the name itself nor look-alikes */
    { "*.example.com", "a.example.com", NULL, 80, true },
    { "*.example.com", "a.b.example.com", NULL, 80, true },
    { "*.example.com", "example.com", NULL, 80, false },
    { "*.example.com", "badexample.com", NULL, 80, false },
    { "*.example.com", "example.com.evil.org", NULL, 80, false },
    { "*", "anything.org", NULL, 1, true },
    { "*", NULL, "192.0.2.1", 1, true },
    { "*", NULL, NULL, 1, false },
    /* IPv4 addresses and ranges */
    { "127.0.0.1", NULL, "127.0.0.1", 80, true },
    { "127.0.0.1", NULL, "127.0.0.2", 80, false },
    { "127.0.0.0/8", NULL, "127.255.255.254", 80, true },
    { "127.0.0.0/8", NULL, "128.0.0.1", 80, false },
    { "10.1.2.3/8", NULL, "10.200.0.1", 80, true }, /* host bits ignored */
    { "192.168.1.0/25", NULL, "192.168.1.127", 80, true },
    { "192.168.1.0/25", NULL, "192.168.1.128", 80, false },
    { "0.0.0.0/0", NULL, "203.0.113.9", 80, true },
    { "0.0.0.0/0", NULL, "::1", 80, false },
    { "169.254.169.254/32", NULL, "169.254.169.254", 80, true },
    /* IPv6 addresses and ranges, scopes ignored */
    { "::1", NULL, "::1", 80, true },
    { "::1", NULL, "0:0:0:0:0:0:0:1", 80, true },
    { "fd00::/8", NULL, "fdab:1::5", 80, true },
    { "fd00::/8", NULL, "fe80::1", 80, false },
    { "fe80::/10", NULL, "febf::1%eth0", 80, true },
    { "fe80::/10", NULL, "fec0::1", 80, false },
    { "2001:db8::/32", NULL, "2001:db8:ffff::1", 80, true },
    { "::/0", NULL, "10.0.0.1", 80, false },
    /* IPv4 written as IPv6, either side */
    { "127.0.0.0/8", NULL, "::ffff:127.0.0.1", 80, true },
    { "::ffff:10.0.0.0/104", NULL, "10.9.9.9", 80, true },
    { "::ffff:10.0.0.1", NULL, "10.0.0.1", 80, true },
    /* ports */
    { "example.com:443", "example.com", NULL, 443, true },
    { "example.com:443", "example.com", NULL, 80, false },
    { "10.0.0.0/8:8080", NULL, "10.1.1.1", 8080, true },
    { "10.0.0.0/8:8080", NULL, "10.1.1.1", 8081, false },
    { "[::1]:9000", NULL, "::1", 9000, true },
    { "[::1]:9000", NULL, "::1", 9001, false },
    { "[fd00::/8]:443", NULL, "fd00::1", 443, true },
    { "*:443", "x.org", NULL, 443, true },
    { "*:443", "x.org", NULL, 80, false },
    /* lists: commas and white space, any entry */
    { "a.org, b.org\t10.0.0.0/8,,", "b.org", NULL, 1, true },
    { "a.org, b.org\t10.0.0.0/8,,", NULL, "10.3.3.3", 1, true },
    { "a.org b.org", "c.org", NULL, 1, false },
    { "", "a.org", "10.0.0.1", 1, false },
};

static void matches(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
        const match_case_t *c = &match_cases[i];
        hostrules_t *r = rules(c->list);
        const char *entry = NULL;
        bool got = hostrules_match(r, c->name, c->addr, c->port, &entry);
        if (got != c->match)
            fail_msg("case %zu: \"%s\" vs %s/%s:%d: got %d", i, c->list, c->name ? c->name : "-",
                     c->addr ? c->addr : "-", c->port, got);
        if (got)
            assert_non_null(entry);
        hostrules_free(r);
    }
}

static void names_the_matching_entry(void **state)
{
    (void)state;
    hostrules_t *r = rules("a.org, 127.0.0.0/8:80, [::1]:9");
    const char *entry = NULL;
    assert_true(hostrules_match(r, "localhost", "127.0.0.1", 80, &entry));
    assert_string_equal(entry, "127.0.0.0/8:80");
    assert_true(hostrules_match(r, NULL, "::1", 9, &entry));
    assert_string_equal(entry, "[::1]:9");
    assert_int_equal(hostrules_count(r), 3);
    assert_true(hostrules_has_addresses(r));
    hostrules_free(r);
    r = rules("a.org *.b.org");
    assert_false(hostrules_has_addresses(r));
    hostrules_free(r);
}

static void refuse(const char *list, const char *words)
{
    char err[256] = "";
    hostrules_t *r = hostrules_parse(list, err, sizeof(err));
    if (r)
        fail_msg("\"%s\" was accepted", list);
    assert_contains(err, words);
}

static void refuses_bad_entries(void **state)
{
    (void)state;
    refuse("10.0.0.0/33", "prefix length \"33\" is not 0-32");
    refuse("fd00::/129", "is not 0-128");
    refuse("10.0.0.0/", "prefix length \"\"");
    refuse("10.0.0.0/8x", "prefix length \"8x\"");
    refuse("10.0.0.256", "is not an IPv4 address");
    refuse("300.1.1.1/8", "is not an IPv4 or IPv6 address");
    refuse("example.com:0", "port \"0\" is not 1-65535");
    refuse("example.com:99999", "is not 1-65535");
    refuse("example.com:http", "port \"http\" is not a number");
    refuse("[::1", "opens [ without ]");
    refuse("[::1]x", "after ] comes :PORT");
    refuse("a*.example.com", "* stands only for the leading labels");
    refuse("*.", "empty name");
    refuse("a..b", "empty name or label");
    refuse("example.com/8", "\"example.com\" is not an IPv4 or IPv6 address");
    refuse("ok.org, bad_host$", "'$' cannot be in a host name");
}

static void checks_before_and_after_dns(void **state)
{
    (void)state;
    hostrules_t *allow = rules("127.0.0.1, *.example.com");
    hostrules_t *block = rules("127.0.0.0/8:9, 169.254.0.0/16");
    hostguard_t g = { allow, "--allow-hosts", block, "WSGATE_BLOCK_HOSTS" };
    char why[512] = "";
    assert_true(hostguard_active(&g));
    assert_false(hostguard_active(NULL));
    assert_false(hostguard_active(&(hostguard_t){ 0 }));
    assert_int_equal(hostguard_check(NULL, "anything", NULL, 1, why, sizeof(why)), 0);
    /* allowed by address, by name */
    assert_int_equal(hostguard_check(&g, "127.0.0.1", NULL, 80, why, sizeof(why)), 0);
    assert_int_equal(hostguard_check(&g, "api.example.com", "10.0.0.1", 443, why, sizeof(why)), 0);
    /* a name an address entry may admit waits for its address */
    assert_int_equal(hostguard_check(&g, "localhost", NULL, 80, why, sizeof(why)), 0);
    assert_int_equal(hostguard_check(&g, "localhost", "127.0.0.1", 80, why, sizeof(why)), 0);
    assert_int_equal(hostguard_check(&g, "elsewhere.org", "10.0.0.1", 80, why, sizeof(why)), -1);
    assert_string_equal(why, "elsewhere.org:80 (10.0.0.1) is not in --allow-hosts; add the host "
                             "(or its address or range) there to let load go to it");
    /* block wins over allow, after DNS too */
    assert_int_equal(hostguard_check(&g, "127.0.0.1", NULL, 9, why, sizeof(why)), -1);
    assert_string_equal(why, "127.0.0.1:9 is blocked by WSGATE_BLOCK_HOSTS entry 127.0.0.0/8:9");
    assert_int_equal(
        hostguard_check(&g, "meta.example.com", "169.254.169.254", 80, why, sizeof(why)), -1);
    assert_contains(why, "meta.example.com:80 (169.254.169.254) is blocked by WSGATE_BLOCK_HOSTS "
                         "entry 169.254.0.0/16");
    /* an address literal is decided at once; IPv6 shown in brackets */
    assert_int_equal(hostguard_check(&g, "127.0.0.2", NULL, 80, why, sizeof(why)), -1);
    assert_contains(why, "127.0.0.2:80 is not in --allow-hosts");
    assert_int_equal(hostguard_check(&g, "::1", NULL, 80, why, sizeof(why)), -1);
    assert_contains(why, "[::1]:80 is not in");
    hostrules_free(allow);
    hostrules_free(block);

    /* names only: a name not listed is refused without its address */
    allow = rules("*.example.com");
    g = (hostguard_t){ allow, "--allow-hosts", NULL, NULL };
    assert_int_equal(hostguard_check(&g, "evil.org", NULL, 80, why, sizeof(why)), -1);
    hostrules_free(allow);

    /* block alone: everything else goes */
    block = rules("127.0.0.0/8");
    g = (hostguard_t){ NULL, NULL, block, "--block-hosts" };
    assert_int_equal(hostguard_check(&g, "localhost", NULL, 80, why, sizeof(why)), 0);
    assert_int_equal(hostguard_check(&g, "localhost", "127.0.0.1", 80, why, sizeof(why)), -1);
    assert_string_equal(why, "localhost:80 (127.0.0.1) is blocked by --block-hosts entry "
                             "127.0.0.0/8");
    assert_int_equal(hostguard_check(&g, "h", "::ffff:127.0.0.1", 80, why, sizeof(why)), -1);
    assert_int_equal(hostguard_check(&g, "h", "10.0.0.1", 80, why, sizeof(why)), 0);
    hostrules_free(block);
}

static void tells_addresses(void **state)
{
    (void)state;
    assert_true(hostrule_is_address("10.0.0.1"));
    assert_true(hostrule_is_address("::1"));
    assert_true(hostrule_is_address("fe80::1%lo"));
    assert_false(hostrule_is_address("localhost"));
    assert_false(hostrule_is_address("10.0.0"));
    assert_false(hostrule_is_address("[::1]"));
    assert_false(hostrule_is_address(""));
    assert_false(hostrule_is_address(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matches),
        cmocka_unit_test(names_the_matching_entry),
        cmocka_unit_test(refuses_bad_entries),
        cmocka_unit_test(checks_before_and_after_dns),
        cmocka_unit_test(tells_addresses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
