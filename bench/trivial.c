/* trivial.c — does nothing and exits 0: the cost of starting a process. */
int main(void)
{
    return 0;
}
