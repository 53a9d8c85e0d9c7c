/* mix.c — an MPI workload for comparing a job with libcrest loaded (and
 * the MPI library's checkpoint critical sections in use) against the same
 * job without: small-message ping-pong, MPI_Allreduce and computation,
 * then a 0-byte ping-pong latency test.
 *
 * usage: mix STEPS [LATENCY_ITERS [bind]]
 *
 * Needs an even number of ranks; rank r works with rank r ^ 1.  With
 * "bind", rank r binds itself (sched_setaffinity) to the (r mod N)-th of
 * the N CPUs it may run on, so that two ranks of the job never take turns
 * on one CPU while another stays idle.
 *
 * One step: a fixed amount of floating-point work (a recurrence over a
 * 4 KiB array, no memory traffic beyond the L1 cache), 32 round trips of
 * an 8-byte message with the partner (MPI_Send/MPI_Recv), and one
 * MPI_Allreduce of 16 doubles over all ranks.  The STEPS steps are timed
 * from an MPI_Barrier to an MPI_Barrier with the monotonic clock.
 * Then the latency test: 1000 round trips of 0 bytes untimed, and 9
 * batches of LATENCY_ITERS (default 20000) round trips, each batch timed
 * on its own; the figure is the median batch's half round trip.
 *
 * Rank 0 prints
 *   libcrest loaded|absent   (whether libcrest's crest_restart_count resolved)
 *   mix_ms MILLISECONDS
 *   latency_us MICROSECONDS
 *   check VALUE          (the Allreduce result: the same in every run)
 */
#define _GNU_SOURCE
#include <mpi.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NCOMP 512   /* doubles in the compute array (4 KiB) */
#define SWEEPS 16   /* passes over it per step */
#define TRIPS 32    /* ping-pong round trips per step */
#define NRED 16     /* doubles per Allreduce */
#define BATCHES 9

extern unsigned crest_restart_count(void) __attribute__((weak));

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Binds the calling process to the (index mod N)-th of its N allowed CPUs. */
static int bind_to(int index)
{
    cpu_set_t allowed, one;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0)
        return -1;
    int n = CPU_COUNT(&allowed), want = index % n;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (!CPU_ISSET(cpu, &allowed) || want-- > 0)
            continue;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        return sched_setaffinity(0, sizeof one, &one);
    }
    return -1;
}

static void pingpong(int rank, int partner, void *buf, int bytes, long trips)
{
    for (long i = 0; i < trips; i++) {
        if (rank < partner) {
            MPI_Send(buf, bytes, MPI_CHAR, partner, 1, MPI_COMM_WORLD);
            MPI_Recv(buf, bytes, MPI_CHAR, partner, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        } else {
            MPI_Recv(buf, bytes, MPI_CHAR, partner, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            MPI_Send(buf, bytes, MPI_CHAR, partner, 1, MPI_COMM_WORLD);
        }
    }
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int bind = argc == 4 && strcmp(argv[3], "bind") == 0;
    if (argc < 2 || argc > 4 || (argc == 4 && !bind) || size % 2) {
        if (rank == 0)
            fprintf(stderr, "usage: mpirun -np EVEN mix STEPS [LATENCY_ITERS [bind]]\n");
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    long steps = atol(argv[1]);
    long lat_iters = argc >= 3 ? atol(argv[2]) : 20000;
    if (steps < 1 || lat_iters < 1) {
        if (rank == 0)
            fprintf(stderr, "mix: STEPS and LATENCY_ITERS must be >= 1\n");
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    if (bind && bind_to(rank) != 0) {
        fprintf(stderr, "mix: rank %d cannot bind itself to a CPU\n", rank);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    int partner = rank ^ 1;
    static double a[NCOMP];
    for (int i = 0; i < NCOMP; i++)
        a[i] = 1.0 + (double)(i + rank) / NCOMP;
    double red_in[NRED], red_out[NRED], check = 0;
    char msg[8] = {0};

    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = now_s();
    for (long s = 0; s < steps; s++) {
        for (int k = 0; k < SWEEPS; k++)
            for (int i = 1; i < NCOMP; i++)
                a[i] = a[i] * 0.999999 + a[i - 1] * 1e-6;
        pingpong(rank, partner, msg, (int)sizeof msg, TRIPS);
        for (int i = 0; i < NRED; i++)
            red_in[i] = a[i * (NCOMP / NRED)];
        MPI_Allreduce(red_in, red_out, NRED, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
        check += red_out[s % NRED];
    }
    MPI_Barrier(MPI_COMM_WORLD);
    double mix = now_s() - t0;

    double lat[BATCHES];
    pingpong(rank, partner, msg, 0, 1000);
    for (int b = 0; b < BATCHES; b++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double t = now_s();
        pingpong(rank, partner, msg, 0, lat_iters);
        lat[b] = (now_s() - t) / (2.0 * (double)lat_iters);
    }
    qsort(lat, BATCHES, sizeof lat[0], cmp_double);
    if (rank == 0) {
        printf("libcrest %s\n", crest_restart_count ? "loaded" : "absent");
        printf("mix_ms %.3f\n", mix * 1e3);
        printf("latency_us %.4f\n", lat[BATCHES / 2] * 1e6);
        printf("check %.6e\n", check);
    }
    MPI_Finalize();
    return 0;
}
