/* clock: the two clocks wsgate reads. The monotonic clock paces users and
 * measures latencies; the wall clock stamps reports and messages, and
 * times pushed messages against a server's timestamps. */
#ifndef WSGATE_CLOCK_H
#define WSGATE_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Monotonic microseconds (arbitrary origin). Inline: the engine reads it
 * several times per message. */
static inline uint64_t clock_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Wall clock: microseconds since the Unix epoch (truncated). */
uint64_t clock_wall_us(void);

/* Wall clock: seconds since the Unix epoch, to the nanosecond the system
 * gives (as far as a double holds it). */
double clock_wall_s(void);

#endif
