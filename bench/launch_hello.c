/* launch_hello.c — the trivial job of bench/launch.sh: prints one line and
 * exits.  It makes no MPI call, so that mpirun of crest, MPICH and Open MPI
 * can all start it and only the launchers' own work is compared. */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    printf("hello from %ld\n", (long)getpid());
    return 0;
}
