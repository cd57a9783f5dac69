/* utf8: UTF-8 validation and the escaping walk of the text reporters. */
#include "reporters/utf8.h"

size_t utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || (n == 2 && c < 0xc2) || (n == 4 && c > 0xf4))
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if (n == 3 && ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0)))
        return 0; /* overlong or surrogate */
    if (n == 4 && ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90)))
        return 0;
    return n;
}

void utf8_write(FILE *out, const char *s, size_t max, void (*ascii)(FILE *out, unsigned char c),
                bool (*bad)(const unsigned char *p, size_t n))
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t used = 0;
    while (*p) {
        size_t n = utf8_len(p);
        size_t step = n ? n : 1;
        if (max && used + step > max) {
            fputs("…", out);
            return;
        }
        if (n == 0 || (n > 1 && bad && bad(p, n)))
            fputs("\xef\xbf\xbd", out);
        else if (n == 1)
            ascii(out, *p);
        else
            fwrite(p, 1, n, out);
        p += step;
        used += step;
    }
}
