/* Counter-based random numbers: every value is a pure function of (key, counter), built from the
 * splitmix64 finaliser, so draws can be made in any order, on any thread, for any batch composition. */
#include <math.h>
#include <stddef.h>

#include "rng.h"

#define FV_GOLDEN 0x9E3779B97F4A7C15ull

/* 64 x 64 -> 128-bit products for the integer draw; __extension__ keeps -Wpedantic quiet. */
__extension__ typedef unsigned __int128 fv_u128;

/* splitmix64's output function: a bijection on 64 bits with full avalanche. */
static inline uint64_t fv_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline uint64_t fv_splitmix64(uint64_t x) { return fv_mix64(x + FV_GOLDEN); }

uint64_t fv_rng_key(uint64_t seed, const char *job)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a 64 */
    for (const unsigned char *s = (const unsigned char *)(job ? job : ""); *s; s++) {
        h ^= *s;
        h *= 0x100000001b3ull;
    }
    /* FNV-1a alone avalanches poorly on short strings; the final mix spreads every bit. */
    return fv_splitmix64(h ^ fv_splitmix64(seed));
}

uint64_t fv_rng_u64(uint64_t key, uint64_t counter)
{
    /* Two keyed rounds: the first decorrelates neighbouring counters, the second folds in the key
     * again so that (key, counter) pairs with equal key ^ f(counter) do not collide. */
    uint64_t z = fv_splitmix64(key ^ fv_splitmix64(counter));
    return fv_mix64(z + (key << 1 | 1) * FV_GOLDEN);
}

double fv_rng_uniform(uint64_t key, uint64_t counter)
{
    return (double)(fv_rng_u64(key, counter) >> 11) * 0x1.0p-53;
}

int fv_rng_int(uint64_t key, uint64_t counter, int n)
{
    if (n <= 1) return 0;
    /* Lemire's multiply-shift with rejection: unbiased. A rejected value is re-hashed, which keeps
     * the result a pure function of (key, counter). */
    uint64_t x = fv_rng_u64(key, counter);
    fv_u128 m = (fv_u128)x * (uint64_t)n;
    uint64_t lo = (uint64_t)m;
    if (lo < (uint64_t)n) {
        uint64_t thresh = (0 - (uint64_t)n) % (uint64_t)n;
        while (lo < thresh) {
            x = fv_splitmix64(x);
            m = (fv_u128)x * (uint64_t)n;
            lo = (uint64_t)m;
        }
    }
    return (int)(m >> 64);
}

double fv_rng_normal(uint64_t key, uint64_t counter)
{
    /* Counters 2c and 2c+1 would run into the other streams (2 * FV_RNG_STREAM_INIT is
     * FV_RNG_STREAM_TRANSFORM), so the normal's uniforms come from a key of their own. */
    uint64_t nkey = fv_mix64(key ^ 0x6E6F726D616C0000ull); /* "normal" */
    double u1 = fv_rng_uniform(nkey, 2 * counter);
    double u2 = fv_rng_uniform(nkey, 2 * counter + 1);
    /* 1 - u1 lies in (0, 1]: log never sees 0. */
    return sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * 3.14159265358979323846 * u2);
}
