/* in_handler.c — the program spends most of its run inside a signal
 * handler (on an alternate stack, with SIGUSR2 arriving and waiting behind
 * the handler's mask), so the checkpoints find it there. After the handler
 * returns, the interrupted main loop goes on with its own registers.
 *
 * usage: in_handler ROUNDS */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long rounds;
static volatile uint64_t handler_result;
static volatile sig_atomic_t usr2_seen, usr2_during_handler;
static volatile sig_atomic_t in_handler;

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

static void on_usr2(int sig)
{
    (void)sig;
    usr2_seen++;
    if (in_handler)
        usr2_during_handler++; /* must not happen: SIGUSR2 is in the mask */
}

static void on_usr1(int sig)
{
    (void)sig;
    in_handler = 1;
    raise(SIGUSR2); /* blocked while this handler runs */
    uint64_t x = 1;
    double f = 1.0;
    for (long i = 0; i < rounds; i++) {
        x = mix(x + (uint64_t)i);
        f = f * 1.0000001 + (double)(x & 7) * 1e-9;
    }
    handler_result = x ^ (uint64_t)(f * 1e6);
    in_handler = 0;
}

int main(int argc, char **argv)
{
    rounds = argc > 1 ? atol(argv[1]) : 100000000;
    static char altstack[1 << 16];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGUSR2, on_usr2);
    uint64_t before = 0, after = 0;
    for (long i = 0; i < rounds / 50; i++)
        before = mix(before + (uint64_t)i);
    raise(SIGUSR1); /* the handler runs here, for most of the run */
    for (long i = 0; i < rounds / 50; i++)
        after = mix(after ^ before ^ (uint64_t)i);
    printf("in_handler result=%016llx before=%016llx after=%016llx usr2=%d during=%d\n",
           (unsigned long long)handler_result, (unsigned long long)before,
           (unsigned long long)after, (int)usr2_seen, (int)usr2_during_handler);
    return usr2_seen == 1 && usr2_during_handler == 0 ? 0 : 1;
}
