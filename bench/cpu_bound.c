/* cpu_bound.c — pure computation, no system calls in the loop.
 *
 * usage: cpu_bound ITERATIONS
 *
 * Runs ITERATIONS steps of a dependent integer/floating-point recurrence
 * and prints its result (so the compiler cannot drop the loop). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 400000000ull;
    uint64_t x = 88172645463325252ull;
    double acc = 0.0;
    for (uint64_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        acc = acc * 0.999999 + (double)(x & 0xffff) * 1e-6;
    }
    printf("%016llx %.6f\n", (unsigned long long)x, acc);
    return 0;
}
