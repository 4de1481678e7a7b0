/* Counter-based random numbers: every draw is a pure function of (key, counter), so an image's
 * randomness depends only on (global seed, job key) and never on what else shares its batch. */
#ifndef FV_RNG_H
#define FV_RNG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Key for one image: mixes the global seed with a job key string (e.g. "mixed4a:97#2"). */
uint64_t fv_rng_key(uint64_t seed, const char *job);
/* 64 random bits for (key, counter). */
uint64_t fv_rng_u64(uint64_t key, uint64_t counter);
/* Uniform in [0, 1). */
double fv_rng_uniform(uint64_t key, uint64_t counter);
/* Uniform integer in [0, n). */
int fv_rng_int(uint64_t key, uint64_t counter, int n);
/* Standard normal (Box-Muller on two derived counters). */
double fv_rng_normal(uint64_t key, uint64_t counter);

/* Counter streams, so draws of different purposes never overlap. */
#define FV_RNG_STREAM_INIT (1ull << 60)
#define FV_RNG_STREAM_TRANSFORM (2ull << 60)

#ifdef __cplusplus
}
#endif
#endif
