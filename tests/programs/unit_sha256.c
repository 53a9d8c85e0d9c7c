/* unit_sha256.c — unit tests of src/runtime/sha256.c: the FIPS 180-4
 * examples, the RFC 4231 HMAC-SHA256 test cases, updates split at odd
 * places, and crest_digest_equal.  Prints each failure; exits 1 if any. */
#include "sha256.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

static void to_hex(const uint8_t *d, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

/* Compares the first strlen(want)/2 bytes of got with the hex string want. */
static void check_hex(const char *what, const uint8_t *got, const char *want)
{
    char hex[2 * CREST_SHA256_LEN + 1];
    size_t n = strlen(want) / 2;
    to_hex(got, n, hex);
    if (strcmp(hex, want) != 0) {
        printf("FAIL %s:\n  got  %s\n  want %s\n", what, hex, want);
        failures++;
    }
}

static void sha256_of(const void *data, size_t len, uint8_t out[CREST_SHA256_LEN])
{
    struct crest_sha256 s;
    crest_sha256_init(&s);
    crest_sha256_update(&s, data, len);
    crest_sha256_final(&s, out);
}

static void test_fips_vectors(void)
{
    static const struct {
        const char *name, *msg, *digest;
    } vectors[] = {
        {"empty message", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"message \"abc\"", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"448-bit message", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"896-bit message",
         "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqr"
         "lmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    };
    uint8_t d[CREST_SHA256_LEN];
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        char what[64];
        snprintf(what, sizeof what, "SHA-256 of the %s", vectors[i].name);
        sha256_of(vectors[i].msg, strlen(vectors[i].msg), d);
        check_hex(what, d, vectors[i].digest);
    }

    /* one million 'a', fed 1000 at a time */
    char thousand[1000];
    memset(thousand, 'a', sizeof thousand);
    struct crest_sha256 s;
    crest_sha256_init(&s);
    for (int i = 0; i < 1000; i++)
        crest_sha256_update(&s, thousand, sizeof thousand);
    crest_sha256_final(&s, d);
    check_hex("SHA-256 of one million 'a'", d,
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void hmac_one(const void *key, size_t key_len, const void *data, size_t len,
                     uint8_t out[CREST_SHA256_LEN])
{
    struct iovec part = {.iov_base = (void *)data, .iov_len = len};
    crest_hmac_sha256(key, key_len, &part, 1, out);
}

static void test_rfc4231(void)
{
    uint8_t key[131], data[50], mac[CREST_SHA256_LEN];

    memset(key, 0x0b, 20);
    hmac_one(key, 20, "Hi There", 8, mac);
    check_hex("RFC 4231 test case 1", mac,
              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");

    hmac_one("Jefe", 4, "what do ya want for nothing?", 28, mac);
    check_hex("RFC 4231 test case 2", mac,
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

    memset(key, 0xaa, 20);
    memset(data, 0xdd, 50);
    hmac_one(key, 20, data, 50, mac);
    check_hex("RFC 4231 test case 3", mac,
              "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");

    for (int i = 0; i < 25; i++)
        key[i] = (uint8_t)(i + 1);
    memset(data, 0xcd, 50);
    hmac_one(key, 25, data, 50, mac);
    check_hex("RFC 4231 test case 4", mac,
              "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");

    /* the RFC gives this one truncated to 128 bits */
    memset(key, 0x0c, 20);
    hmac_one(key, 20, "Test With Truncation", 20, mac);
    check_hex("RFC 4231 test case 5 (first 128 bits)", mac, "a3b6167473100ee06e0c796c2955552b");

    memset(key, 0xaa, 131);
    const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    hmac_one(key, 131, m6, strlen(m6), mac);
    check_hex("RFC 4231 test case 6 (key longer than a block)", mac,
              "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");

    const char *m7 = "This is a test using a larger than block-size key and a larger than "
                     "block-size data. The key needs to be hashed before being used by the HMAC "
                     "algorithm.";
    hmac_one(key, 131, m7, strlen(m7), mac);
    check_hex("RFC 4231 test case 7 (key and data longer than a block)", mac,
              "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");

    /* the same message given in several parts, one of them empty */
    size_t len7 = strlen(m7);
    struct iovec parts[4] = {
        {.iov_base = (void *)m7, .iov_len = 5},
        {.iov_base = NULL, .iov_len = 0},
        {.iov_base = (void *)(m7 + 5), .iov_len = 70},
        {.iov_base = (void *)(m7 + 75), .iov_len = len7 - 75},
    };
    crest_hmac_sha256(key, 131, parts, 4, mac);
    check_hex("RFC 4231 test case 7 given in 4 parts", mac,
              "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");

    /* a 64-byte key is used as it is, not hashed: differs from its hash */
    uint8_t mac64[CREST_SHA256_LEN], hashed[CREST_SHA256_LEN], mac_hashed[CREST_SHA256_LEN];
    memset(key, 0x5a, 64);
    hmac_one(key, 64, "x", 1, mac64);
    sha256_of(key, 64, hashed);
    hmac_one(hashed, sizeof hashed, "x", 1, mac_hashed);
    if (memcmp(mac64, mac_hashed, sizeof mac64) == 0) {
        printf("FAIL a 64-byte HMAC key was hashed; only longer keys should be\n");
        failures++;
    }
    /* a 65-byte key is hashed: same MAC as with its digest as the key */
    memset(key, 0x5a, 65);
    hmac_one(key, 65, "x", 1, mac64);
    sha256_of(key, 65, hashed);
    hmac_one(hashed, sizeof hashed, "x", 1, mac_hashed);
    if (memcmp(mac64, mac_hashed, sizeof mac64) != 0) {
        printf("FAIL a 65-byte HMAC key must give the MAC of its SHA-256 digest as the key\n");
        failures++;
    }
}

/* Updates in pieces of odd sizes (crossing block boundaries every way) and
 * byte by byte must give the one-shot digest, for every length around the
 * padding boundaries. */
static void test_split_updates(void)
{
    static uint8_t msg[4096];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof msg; i++) {
        x = x * 1103515245u + 12345u;
        msg[i] = (uint8_t)(x >> 16);
    }
    static const size_t sizes[] = {1, 3, 7, 13, 55, 56, 57, 63, 64, 65, 127, 128, 129, 511, 1000};
    const size_t nsizes = sizeof sizes / sizeof sizes[0];
    uint8_t whole[CREST_SHA256_LEN], split[CREST_SHA256_LEN];

    size_t lens[300], nlens = 0;
    for (size_t len = 0; len <= 200; len++)
        lens[nlens++] = len;
    lens[nlens++] = 1000;
    lens[nlens++] = 4095;
    lens[nlens++] = 4096;

    for (size_t li = 0; li < nlens; li++) {
        size_t len = lens[li];
        sha256_of(msg, len, whole);
        for (size_t start = 0; start < nsizes; start++) {
            struct crest_sha256 s;
            crest_sha256_init(&s);
            size_t off = 0;
            for (size_t k = start; off < len; k++) {
                size_t n = sizes[k % nsizes];
                if (n > len - off)
                    n = len - off;
                crest_sha256_update(&s, msg + off, n);
                crest_sha256_update(&s, msg + off + n, 0); /* empty updates change nothing */
                off += n;
            }
            crest_sha256_final(&s, split);
            if (memcmp(whole, split, sizeof whole) != 0) {
                printf("FAIL %zu bytes in pieces of sizes starting with %zu: digest differs from "
                       "one update\n", len, sizes[start]);
                failures++;
            }
        }
        struct crest_sha256 s;
        crest_sha256_init(&s);
        for (size_t i = 0; i < len; i++)
            crest_sha256_update(&s, msg + i, 1);
        crest_sha256_final(&s, split);
        if (memcmp(whole, split, sizeof whole) != 0) {
            printf("FAIL %zu bytes one at a time: digest differs from one update\n", len);
            failures++;
        }
    }
}

static void test_digest_equal(void)
{
    uint8_t a[CREST_SHA256_LEN], b[CREST_SHA256_LEN];
    sha256_of("abc", 3, a);
    memcpy(b, a, sizeof a);
    if (crest_digest_equal(a, b, sizeof a) != 1) {
        printf("FAIL crest_digest_equal on equal digests is not 1\n");
        failures++;
    }
    for (size_t i = 0; i < sizeof a; i += 7) {
        for (int bit = 0; bit < 8; bit += 3) {
            memcpy(b, a, sizeof a);
            b[i] ^= (uint8_t)(1u << bit);
            if (crest_digest_equal(a, b, sizeof a) != 0) {
                printf("FAIL crest_digest_equal misses a difference in byte %zu bit %d\n", i, bit);
                failures++;
            }
        }
    }
    memcpy(b, a, sizeof a);
    b[CREST_SHA256_LEN - 1] ^= 0x80;
    if (crest_digest_equal(a, b, sizeof a) != 0) {
        printf("FAIL crest_digest_equal misses a difference in the last byte\n");
        failures++;
    }
    if (crest_digest_equal(a, b, sizeof a - 1) != 1) {
        printf("FAIL crest_digest_equal compares beyond len\n");
        failures++;
    }
    if (crest_digest_equal(a, b, 0) != 1) {
        printf("FAIL crest_digest_equal of 0 bytes is not 1\n");
        failures++;
    }
}

int main(void)
{
    test_fips_vectors();
    test_rfc4231();
    test_split_updates();
    test_digest_equal();
    if (failures) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("sha256: all checks passed\n");
    return 0;
}
