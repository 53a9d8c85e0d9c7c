/* cpu_features.c — read CPUID/XGETBV and compare feature sets. Only
 * instruction-set bits count: glibc picks its string and math routines by
 * them (ifuncs) once at start-up, so a restored process keeps using them. */
#include "cpu_features.h"

#include <cpuid.h>
#include <stdio.h>
#include <string.h>

enum word { L1_ECX, L1_EDX, L7_EBX, L7_ECX, L7_EDX, L7_1_EAX };

static const struct {
    enum word word;
    unsigned bit;
    const char *name;
} known[] = {
    {L1_EDX, 25, "sse"},        {L1_EDX, 26, "sse2"},        {L1_ECX, 0, "sse3"},
    {L1_ECX, 9, "ssse3"},       {L1_ECX, 12, "fma"},         {L1_ECX, 13, "cx16"},
    {L1_ECX, 19, "sse4_1"},     {L1_ECX, 20, "sse4_2"},      {L1_ECX, 22, "movbe"},
    {L1_ECX, 23, "popcnt"},     {L1_ECX, 25, "aes"},         {L1_ECX, 26, "xsave"},
    {L1_ECX, 28, "avx"},        {L1_ECX, 29, "f16c"},        {L1_ECX, 30, "rdrand"},
    {L1_ECX, 1, "pclmulqdq"},   {L7_EBX, 3, "bmi1"},         {L7_EBX, 5, "avx2"},
    {L7_EBX, 8, "bmi2"},        {L7_EBX, 9, "erms"},         {L7_EBX, 16, "avx512f"},
    {L7_EBX, 17, "avx512dq"},   {L7_EBX, 18, "rdseed"},      {L7_EBX, 19, "adx"},
    {L7_EBX, 21, "avx512ifma"}, {L7_EBX, 28, "avx512cd"},    {L7_EBX, 29, "sha"},
    {L7_EBX, 30, "avx512bw"},   {L7_EBX, 31, "avx512vl"},    {L7_ECX, 1, "avx512vbmi"},
    {L7_ECX, 6, "avx512vbmi2"}, {L7_ECX, 8, "gfni"},         {L7_ECX, 9, "vaes"},
    {L7_ECX, 10, "vpclmulqdq"}, {L7_ECX, 11, "avx512vnni"},  {L7_ECX, 12, "avx512bitalg"},
    {L7_ECX, 14, "avx512vpopcntdq"}, {L7_EDX, 4, "fsrm"},    {L7_EDX, 8, "avx512vp2intersect"},
    {L7_EDX, 22, "amx_bf16"},   {L7_EDX, 24, "amx_tile"},    {L7_EDX, 25, "amx_int8"},
    {L7_1_EAX, 4, "avx_vnni"},  {L7_1_EAX, 5, "avx512bf16"},
};

static uint32_t word_of(const struct crest_cpu_features *f, enum word w)
{
    switch (w) {
    case L1_ECX: return f->leaf1_ecx;
    case L1_EDX: return f->leaf1_edx;
    case L7_EBX: return f->leaf7_ebx;
    case L7_ECX: return f->leaf7_ecx;
    case L7_EDX: return f->leaf7_edx;
    case L7_1_EAX: return f->leaf7_1_eax;
    }
    return 0;
}

void crest_cpu_read(struct crest_cpu_features *out)
{
    unsigned a, b, c, d;
    memset(out, 0, sizeof *out);
    if (__get_cpuid(1, &a, &b, &c, &d)) {
        out->leaf1_ecx = c;
        out->leaf1_edx = d;
    }
    if (__get_cpuid_max(0, NULL) >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        out->leaf7_ebx = b;
        out->leaf7_ecx = c;
        out->leaf7_edx = d;
        __cpuid_count(7, 1, a, b, c, d);
        out->leaf7_1_eax = a;
    }
    if (out->leaf1_ecx & (1u << 27)) { /* OSXSAVE: XGETBV is allowed */
        uint32_t lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        out->xcr0 = ((uint64_t)hi << 32) | lo;
    }
}

static void append(char *buf, size_t len, size_t *used, const char *name)
{
    int n = snprintf(buf + *used, len - *used, "%s%s", *used ? " " : "", name);
    if (n > 0 && (size_t)n < len - *used)
        *used += (size_t)n;
}

int crest_cpu_missing(const struct crest_cpu_features *need,
                      const struct crest_cpu_features *have, char *buf, size_t len)
{
    size_t used = 0;
    int missing = 0;
    if (len)
        buf[0] = 0;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        uint32_t bit = 1u << known[i].bit;
        if ((word_of(need, known[i].word) & bit) && !(word_of(have, known[i].word) & bit)) {
            append(buf, len, &used, known[i].name);
            missing++;
        }
    }
    /* Signal frames hold the XSAVE state of every enabled component; a
     * kernel without one of them refuses to restore such a frame. */
    if (need->xcr0 & ~have->xcr0) {
        char what[48];
        snprintf(what, sizeof what, "xsave-state(0x%llx)",
                 (unsigned long long)(need->xcr0 & ~have->xcr0));
        append(buf, len, &used, what);
        missing++;
    }
    return missing;
}

void crest_cpu_describe(const struct crest_cpu_features *f, char *buf, size_t len)
{
    size_t used = 0;
    if (len)
        buf[0] = 0;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (word_of(f, known[i].word) & (1u << known[i].bit))
            append(buf, len, &used, known[i].name);
}
