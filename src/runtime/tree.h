/* tree.h — the shape of the daemon tree.  Daemon 0 (the root) runs on
 * mpirun's host; daemon i > 0 has parent (i-1)/k and children
 * i*k+1 .. i*k+k, for fan-out k.  Messages to the root go up parent by
 * parent; messages to one daemon go down the path to it; broadcasts go to
 * every child, which passes them on. */
#ifndef CREST_TREE_H
#define CREST_TREE_H

static inline int crest_tree_parent(int i, int k) { return i == 0 ? -1 : (i - 1) / k; }
static inline int crest_tree_first_child(int i, int k) { return i * k + 1; }

/* The child of `self` on the way down to `target`; -1 when target is not
 * below self (then the message goes up). */
static inline int crest_tree_next_hop(int self, int target, int k)
{
    int x = target;
    while (x > 0) {
        int p = crest_tree_parent(x, k);
        if (p == self)
            return x;
        x = p;
    }
    return -1;
}

/* 1 when daemon d lies in the subtree of daemon top (top included). */
static inline int crest_tree_in_subtree(int top, int d, int k)
{
    while (d > top)
        d = crest_tree_parent(d, k);
    return d == top;
}

#endif
