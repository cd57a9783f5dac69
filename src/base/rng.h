/* rng: xorshift64* generator; one state per worker or virtual user, so no
 * locking and runs are reproducible from a seed. */
#ifndef WSGATE_RNG_H
#define WSGATE_RNG_H

#include <stdint.h>

static inline uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s ? *s : 0x9E3779B97F4A7C15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* Uniform integer in [lo, hi] (inclusive); lo <= hi. */
static inline int64_t rng_range(uint64_t *s, int64_t lo, int64_t hi)
{
    uint64_t span = (uint64_t)(hi - lo) + 1;
    return span ? lo + (int64_t)(rng_next(s) % span) : (int64_t)rng_next(s);
}

/* Uniform double in [0, 1). */
static inline double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* Mixes a seed and a stream id (e.g. VU id) into a fresh state. */
static inline uint64_t rng_seed(uint64_t seed, uint64_t stream)
{
    uint64_t z = seed + 0x9E3779B97F4A7C15ull * (stream + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (z ^ (z >> 31)) | 1;
}

#endif
