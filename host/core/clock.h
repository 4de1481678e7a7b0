/* The monotonic clock behind every rate, ETA and duration the program prints. */
#ifndef FV_CLOCK_H
#define FV_CLOCK_H

/* Seconds since an arbitrary fixed point (CLOCK_MONOTONIC): only differences mean anything. */
double fv_clock_now(void);

#endif
