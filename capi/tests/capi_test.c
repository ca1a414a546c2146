/*
 * Host tests of keyfort's C API, built with -fsanitize=address,undefined by
 * `./x test capi` and run against the vector file the step prepares from the published
 * vectors in ../shared/vectors (each line names its source: RFC 3394/5649, Wycheproof
 * tcIds, TR-31 vector ids, X9.24-3 AES DUKPT vector ids), plus the bad-input cases: NULL,
 * overlap, absurd lengths, a store object that is not open, re-entry from a callback,
 * wrong MACs (outputs zeroed, nothing stored), rollback.
 *
 * Usage: capi_test VECTOR_FILE. Prints "capi_test: N passed, M failed".
 * `capi_test --bench` instead times the C boundary (xtask's `capi::measure` builds it
 * without sanitizers, -O2): see bench_boundary below.
 */
#define _POSIX_C_SOURCE 199309L
#include "keyfort.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int passed, failed;

#define CHECK(cond, ...)                                                  \
    do {                                                                  \
        if (cond) {                                                       \
            passed++;                                                     \
        } else {                                                          \
            failed++;                                                     \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);          \
            fprintf(stderr, __VA_ARGS__);                                 \
            fputc('\n', stderr);                                          \
        }                                                                 \
    } while (0)

#define CHECK_ST(expr, want)                                              \
    do {                                                                  \
        kf_status_t st_ = (expr);                                         \
        CHECK(st_ == (want), "%s = %d, want %d", #expr, (int)st_, (int)(want)); \
    } while (0)

/* ---- a RAM board: NOR flash with its write rules, test entropy, secret, counter ---- */

#define SECTORS 8
#define FLASH_SIZE (SECTORS * KF_SECTOR_SIZE)

typedef struct {
    uint8_t flash[FLASH_SIZE];
    uint32_t counter;
    uint64_t rng;
    int fail_entropy, fail_secret;
    int reenter;              /* a flash read calls back into keyfort once */
    kf_store_t *store;
    kf_status_t reenter_status;
} board_ctx;

static int32_t b_read(void *ctx, uint32_t off, uint8_t *buf, size_t len) {
    board_ctx *b = ctx;
    if ((size_t)off + len > FLASH_SIZE) return -1;
    if (b->reenter) {
        kf_key_attributes_t a;
        b->reenter = 0;
        b->reenter_status = kf_get_key_attributes(b->store, KF_KEY_ID(1, 0), &a);
    }
    memcpy(buf, b->flash + off, len);
    return 0;
}

static int32_t b_program(void *ctx, uint32_t off, const uint8_t *data, size_t len) {
    board_ctx *b = ctx;
    if ((size_t)off + len > FLASH_SIZE || off % KF_PROGRAM_UNIT || len % KF_PROGRAM_UNIT) return -1;
    for (size_t i = 0; i < len; i++) {
        if ((b->flash[off + i] & data[i]) != data[i]) return -2; /* a 0 bit back to 1 */
        b->flash[off + i] &= data[i];
    }
    return 0;
}

static int32_t b_erase(void *ctx, uint32_t off, uint32_t len) {
    board_ctx *b = ctx;
    if ((size_t)off + len > FLASH_SIZE || off % KF_SECTOR_SIZE || len % KF_SECTOR_SIZE) return -1;
    memset(b->flash + off, 0xFF, len);
    return 0;
}

/* Test entropy only (splitmix64): never a real source. */
static int32_t b_entropy(void *ctx, uint8_t *buf, size_t len) {
    board_ctx *b = ctx;
    if (b->fail_entropy) return -1;
    for (size_t i = 0; i < len; i++) {
        uint64_t z = (b->rng += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        buf[i] = (uint8_t)(z ^ (z >> 31));
    }
    return 0;
}

static int32_t b_secret(void *ctx, uint8_t *out) {
    board_ctx *b = ctx;
    if (b->fail_secret) return -1;
    for (int i = 0; i < 32; i++) out[i] = (uint8_t)(0x40 + i);
    return 0;
}

static int32_t b_counter_read(void *ctx, uint32_t *v) {
    *v = ((board_ctx *)ctx)->counter;
    return 0;
}

static int32_t b_counter_inc(void *ctx, uint32_t *v) {
    board_ctx *b = ctx;
    *v = ++b->counter;
    return 0;
}

static board_ctx *new_ctx(void) {
    board_ctx *b = calloc(1, sizeof *b);
    if (!b) abort();
    memset(b->flash, 0xFF, FLASH_SIZE);
    b->rng = 1;
    return b;
}

static kf_board_t board_of(board_ctx *b) {
    kf_board_t k;
    memset(&k, 0, sizeof k);
    k.ctx = b;
    k.flash_size = FLASH_SIZE;
    k.entropy_bits_per_byte = 8;
    k.flash_read = b_read;
    k.flash_program = b_program;
    k.flash_erase = b_erase;
    k.entropy = b_entropy;
    k.device_secret = b_secret;
    k.counter_read = b_counter_read;
    k.counter_increment = b_counter_inc;
    return k;
}

static kf_store_t *new_store(void) {
    /* glibc's calloc returns 16-byte aligned memory on x86-64 (checked: C99 has no
     * aligned_alloc). */
    kf_store_t *s = calloc(1, sizeof(kf_store_t));
    if (!s || (uintptr_t)s % 16 != 0) abort();
    return s;
}

/* ---- helpers ---- */

static size_t unhex(const char *h, uint8_t *out, size_t cap) {
    size_t n = strlen(h) / 2;
    if (n > cap) return (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(h + 2 * i, "%2x", &v) != 1) return (size_t)-1;
        out[i] = (uint8_t)v;
    }
    return n;
}

static int all_zero(const void *p, size_t n) {
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i]) return 0;
    return 1;
}

static kf_key_attributes_t attrs(uint16_t id, uint16_t type, uint16_t bits, uint32_t usage) {
    kf_key_attributes_t a;
    memset(&a, 0, sizeof a);
    a.id = id;
    a.key_type = type;
    a.bits = bits;
    a.usage = usage;
    a.lifetime = KF_KEY_LIFETIME_PERSISTENT;
    return a;
}

static int exists(kf_store_t *s, kf_key_id_t k) {
    kf_key_attributes_t a;
    /* A destroyed version keeps its metadata for the audit (key states), not its key. */
    return kf_get_key_attributes(s, k, &a) == KF_SUCCESS && a.state != KF_KEY_STATE_DESTROYED &&
           a.state != KF_KEY_STATE_DESTROYED_COMPROMISED;
}

/* ---- lifecycle, inventory, audit, persistence, rollback ---- */

static void test_lifecycle(void) {
    board_ctx *b = new_ctx();
    kf_board_t kb = board_of(b);
    kf_store_t *s = new_store();
    CHECK_ST(kf_store_open(s, &kb), KF_ERROR_NOT_FORMATTED);
    CHECK_ST(kf_store_format(s, &kb), KF_SUCCESS);
    CHECK_ST(kf_store_format(s, &kb), KF_ERROR_BAD_STATE); /* already open */

    kf_key_attributes_t a = attrs(7, KF_KEY_TYPE_AES, 128, KF_KEY_USAGE_ENCRYPT | KF_KEY_USAGE_DECRYPT);
    memcpy(a.label, "pin-key", 7);
    a.label_len = 7;
    kf_key_id_t k = 0;
    CHECK_ST(kf_generate_key(s, &a, &k), KF_SUCCESS);
    CHECK(k == KF_KEY_ID(7, 1), "generated id %#x", (unsigned)k);
    CHECK_ST(kf_generate_key(s, &a, &k), KF_ERROR_ALREADY_EXISTS);
    CHECK(k == 0, "key id output zeroed on failure");

    kf_key_attributes_t got;
    CHECK_ST(kf_get_key_attributes(s, KF_KEY_ID(7, 0), &got), KF_SUCCESS);
    CHECK(got.key_type == KF_KEY_TYPE_AES && got.bits == 128 && got.state == KF_KEY_STATE_ACTIVE &&
              got.usage == (KF_KEY_USAGE_ENCRYPT | KF_KEY_USAGE_DECRYPT) && got.label_len == 7 &&
              memcmp(got.label, "pin-key", 7) == 0,
          "attributes read back");

    /* Policy values keyfort does not have are refused, not ignored. */
    kf_key_attributes_t bad = attrs(8, KF_KEY_TYPE_AES, 128, 0x80000000u);
    CHECK_ST(kf_generate_key(s, &bad, &k), KF_ERROR_INVALID_ARGUMENT);
    bad = attrs(8, KF_KEY_TYPE_AES, 100, KF_KEY_USAGE_ENCRYPT);
    CHECK_ST(kf_generate_key(s, &bad, &k), KF_ERROR_NOT_SUPPORTED);
    bad = attrs(8, KF_KEY_TYPE_AES, 128, KF_KEY_USAGE_ENCRYPT);
    bad.lifetime = 0; /* volatile */
    CHECK_ST(kf_generate_key(s, &bad, &k), KF_ERROR_NOT_SUPPORTED);
    bad = attrs(8, KF_KEY_TYPE_AES, 128, KF_KEY_USAGE_ENCRYPT);
    bad.label_len = KF_LABEL_MAX + 1;
    CHECK_ST(kf_generate_key(s, &bad, &k), KF_ERROR_INVALID_ARGUMENT);
    uint8_t key16[16] = {1, 2, 3};
    CHECK_ST(kf_import_key(s, &bad, key16, 15, &k), KF_ERROR_INVALID_ARGUMENT);

    kf_key_id_t k2 = 0;
    CHECK_ST(kf_rotate_key(s, KF_KEY_ID(7, 0), &k2), KF_SUCCESS);
    CHECK(k2 == KF_KEY_ID(7, 2), "rotated id %#x", (unsigned)k2);
    CHECK_ST(kf_revoke_key(s, KF_KEY_ID(7, 1)), KF_SUCCESS);
    CHECK_ST(kf_get_key_attributes(s, KF_KEY_ID(7, 1), &got), KF_SUCCESS);
    CHECK(got.state == KF_KEY_STATE_REVOKED, "version 1 revoked");
    uint8_t kcv[8];
    size_t n = 99;
    memset(kcv, 0xAA, sizeof kcv);
    /* A revoked (deactivated, SP 800-57) version still identifies itself: a KCV is a
     * verification, which deactivation allows. */
    CHECK_ST(kf_key_check_value(s, KF_KEY_ID(7, 1), KF_KCV_CMAC, kcv, sizeof kcv, &n), KF_SUCCESS);
    memset(kcv, 0xAA, sizeof kcv);
    n = 99;
    CHECK_ST(kf_key_check_value(s, KF_KEY_ID(99, 1), KF_KCV_CMAC, kcv, sizeof kcv, &n), KF_ERROR_DOES_NOT_EXIST);
    CHECK(all_zero(kcv, sizeof kcv) && n == 0, "kcv buffer and length zeroed on failure");

    kf_key_attributes_t inv[4];
    CHECK_ST(kf_inventory(s, inv, 4, &n), KF_SUCCESS);
    CHECK(n == 2, "inventory has 2 versions, got %zu", n);
    CHECK_ST(kf_inventory(s, inv, 1, &n), KF_ERROR_BUFFER_TOO_SMALL);
    CHECK(n == 0 && all_zero(inv, sizeof inv[0]), "inventory output zeroed when too small");

    /* Persistence across close/open, with the counter. */
    CHECK_ST(kf_store_close(s), KF_SUCCESS);
    CHECK_ST(kf_get_key_attributes(s, KF_KEY_ID(7, 0), &got), KF_ERROR_INVALID_HANDLE);
    CHECK_ST(kf_store_open(s, &kb), KF_SUCCESS);
    CHECK_ST(kf_get_key_attributes(s, KF_KEY_ID(7, 0), &got), KF_SUCCESS);
    CHECK(got.id == KF_KEY_ID(7, 2), "newest active version after reopen");

    kf_audit_event_t ev[32];
    CHECK_ST(kf_audit(s, ev, 32, &n), KF_SUCCESS);
    int saw_gen = 0, saw_rot = 0, saw_rev = 0;
    for (size_t i = 0; i < n; i++) {
        saw_gen |= ev[i].code == 2 && ev[i].id == 7;
        saw_rot |= ev[i].code == 5 && ev[i].id == 7 && ev[i].version == 2;
        saw_rev |= ev[i].code == 6 && ev[i].id == 7 && ev[i].version == 1;
    }
    CHECK(saw_gen && saw_rot && saw_rev, "audit has generate, rotate, revoke");

    /* Rollback: an older flash image is refused under the counter. */
    uint8_t *old = malloc(FLASH_SIZE);
    if (!old) abort();
    memcpy(old, b->flash, FLASH_SIZE);
    CHECK_ST(kf_destroy_key(s, KF_KEY_ID(7, 0)), KF_SUCCESS);
    CHECK(!exists(s, KF_KEY_ID(7, 2)) && !exists(s, KF_KEY_ID(7, 1)), "destroyed: every version gone");
    CHECK_ST(kf_store_close(s), KF_SUCCESS);
    memcpy(b->flash, old, FLASH_SIZE);
    CHECK_ST(kf_store_open(s, &kb), KF_ERROR_ROLLED_BACK);
    free(old);

    /* Tamper wipe: keys gone, a tamper event in the audit. */
    memset(b->flash, 0xFF, FLASH_SIZE);
    b->counter = 0;
    CHECK_ST(kf_store_format(s, &kb), KF_SUCCESS);
    CHECK_ST(kf_generate_key(s, &a, &k), KF_SUCCESS);
    CHECK_ST(kf_tamper_wipe(s), KF_SUCCESS);
    CHECK(!exists(s, KF_KEY_ID(7, 0)), "tamper wipe: key gone");
    CHECK_ST(kf_audit(s, ev, 32, &n), KF_SUCCESS);
    CHECK(n >= 1 && ev[n - 1].code == 12, "tamper event recorded");
    CHECK_ST(kf_store_close(s), KF_SUCCESS);
    CHECK_ST(kf_store_close(s), KF_SUCCESS); /* closing twice is fine */
    free(s);
    free(b);
}

/* ---- opening with a bad board ---- */

static void test_board_checks(void) {
    board_ctx *b = new_ctx();
    kf_store_t *s = new_store();
    kf_board_t kb = board_of(b);
    kb.flash_erase = NULL;
    CHECK_ST(kf_store_format(s, &kb), KF_ERROR_INVALID_ARGUMENT);
    kb = board_of(b);
    kb.counter_increment = NULL; /* one counter callback without the other */
    CHECK_ST(kf_store_format(s, &kb), KF_ERROR_INVALID_ARGUMENT);
    kb = board_of(b);
    kb.flash_size = FLASH_SIZE - 1;
    CHECK_ST(kf_store_format(s, &kb), KF_ERROR_NOT_SUPPORTED);
    kb = board_of(b);
    kb.entropy_bits_per_byte = 3;
    CHECK_ST(kf_store_format(s, &kb), KF_ERROR_INVALID_ARGUMENT);
    kb = board_of(b);
    b->fail_entropy = 1;
    CHECK_ST(kf_store_format(s, &kb), KF_ERROR_INSUFFICIENT_ENTROPY);
    b->fail_entropy = 0;
    b->fail_secret = 1;
    CHECK_ST(kf_store_format(s, &kb), KF_ERROR_HARDWARE_FAILURE);
    b->fail_secret = 0;
    CHECK(all_zero(s, sizeof *s), "store object left zeroed after failed opens");
    CHECK_ST(kf_store_format(s, NULL), KF_ERROR_INVALID_ARGUMENT);
    CHECK_ST(kf_store_format(NULL, &kb), KF_ERROR_INVALID_HANDLE);
    CHECK_ST(kf_store_format((kf_store_t *)((uint8_t *)s + 4), &kb), KF_ERROR_INVALID_HANDLE);
    /* A board struct inside the store object is refused (it would be overwritten). */
    memcpy(s, &kb, sizeof kb);
    CHECK_ST(kf_store_format(s, (const kf_board_t *)s), KF_ERROR_INVALID_ARGUMENT);
    memset(s, 0, sizeof *s);
    CHECK_ST(kf_store_format(s, &kb), KF_SUCCESS);
    /* Another device's secret: the image does not authenticate. */
    CHECK_ST(kf_store_close(s), KF_SUCCESS);
    kf_board_t other = kb;
    other.device_secret = (kf_device_secret_fn)0;
    CHECK_ST(kf_store_open(s, &other), KF_ERROR_INVALID_ARGUMENT);
    free(s);
    free(b);
}

/* ---- pointer and length checks ---- */

static void test_bad_inputs(void) {
    board_ctx *b = new_ctx();
    kf_board_t kb = board_of(b);
    kf_store_t *s = new_store();
    kf_key_attributes_t got;
    /* Not open: refused, no crash, outputs untouched by keyfort's use. */
    CHECK_ST(kf_get_key_attributes(s, KF_KEY_ID(1, 0), &got), KF_ERROR_INVALID_HANDLE);
    CHECK_ST(kf_dukpt_end(NULL), KF_ERROR_INVALID_HANDLE);
    CHECK_ST(kf_store_format(s, &kb), KF_SUCCESS);

    uint8_t kek[32] = {0x11}, key[16] = {0x22};
    kf_key_attributes_t a = attrs(1, KF_KEY_TYPE_AES, 256, KF_KEY_USAGE_WRAP | KF_KEY_USAGE_UNWRAP);
    kf_key_id_t id = 0x5555;
    CHECK_ST(kf_import_key(s, NULL, kek, 32, &id), KF_ERROR_INVALID_ARGUMENT);
    CHECK_ST(kf_import_key(s, &a, NULL, 32, &id), KF_ERROR_INVALID_ARGUMENT);
    CHECK_ST(kf_import_key(s, &a, kek, 32, NULL), KF_ERROR_INVALID_ARGUMENT);
    CHECK_ST(kf_import_key(s, &a, kek, SIZE_MAX, &id), KF_ERROR_INVALID_ARGUMENT);
    CHECK_ST(kf_import_key(s, &a, kek, KF_MAX_KEY_DATA + 1, &id), KF_ERROR_INVALID_ARGUMENT);
    /* The key id output inside the key data it reads: an overlap. */
    CHECK_ST(kf_import_key(s, &a, kek, 32, (kf_key_id_t *)(void *)(kek + 8)), KF_ERROR_INVALID_ARGUMENT);
    /* An output inside the store object. */
    CHECK_ST(kf_import_key(s, &a, kek, 32, (kf_key_id_t *)(void *)&s->opaque[8]), KF_ERROR_INVALID_ARGUMENT);
    /* A misaligned output value. */
    uint32_t words[4];
    CHECK_ST(kf_import_key(s, &a, kek, 32, (kf_key_id_t *)(void *)((uint8_t *)words + 1)),
             KF_ERROR_INVALID_ARGUMENT);
    CHECK(!exists(s, KF_KEY_ID(1, 0)), "nothing stored by refused calls");
    CHECK_ST(kf_import_key(s, &a, kek, 32, &id), KF_SUCCESS);
    kf_key_attributes_t ka = attrs(2, KF_KEY_TYPE_AES, 128, KF_KEY_USAGE_EXPORT | KF_KEY_USAGE_ENCRYPT);
    kf_key_id_t kid;
    CHECK_ST(kf_import_key(s, &ka, key, 16, &kid), KF_SUCCESS);

    uint8_t out[64];
    size_t n;
    /* Output overlapping its own length output. */
    CHECK_ST(kf_wrap_key(s, id, KF_ALG_AES_KW, kid, out, sizeof out, (size_t *)(void *)(out + 8)),
             KF_ERROR_INVALID_ARGUMENT);
    /* A range that wraps around the address space. */
    CHECK_ST(kf_wrap_key(s, id, KF_ALG_AES_KW, kid, (uint8_t *)(uintptr_t)(UINTPTR_MAX - 7), 64, &n),
             KF_ERROR_INVALID_ARGUMENT);
    /* Absurd output size. */
    CHECK_ST(kf_wrap_key(s, id, KF_ALG_AES_KW, kid, out, SIZE_MAX, &n), KF_ERROR_INVALID_ARGUMENT);
    /* Too small: zeroed, length zero. */
    memset(out, 0xAA, sizeof out);
    n = 77;
    CHECK_ST(kf_wrap_key(s, id, KF_ALG_AES_KW, kid, out, 16, &n), KF_ERROR_BUFFER_TOO_SMALL);
    CHECK(all_zero(out, 16) && out[16] == 0xAA && n == 0, "too-small output zeroed (only its own bytes)");
    /* Not exportable: refused and zeroed. */
    kf_key_attributes_t kn = attrs(3, KF_KEY_TYPE_AES, 128, KF_KEY_USAGE_ENCRYPT);
    kf_key_id_t nid;
    CHECK_ST(kf_import_key(s, &kn, key, 16, &nid), KF_SUCCESS);
    memset(out, 0xAA, sizeof out);
    CHECK_ST(kf_wrap_key(s, id, KF_ALG_AES_KW, nid, out, sizeof out, &n), KF_ERROR_NOT_PERMITTED);
    CHECK(all_zero(out, sizeof out) && n == 0, "refused wrap leaves a zeroed buffer");
    /* A KEK weaker than the key it would wrap. */
    kf_key_attributes_t weak = attrs(4, KF_KEY_TYPE_AES, 128, KF_KEY_USAGE_WRAP);
    kf_key_attributes_t strong = attrs(5, KF_KEY_TYPE_AES, 256, KF_KEY_USAGE_EXPORT);
    kf_key_id_t wid, sid;
    CHECK_ST(kf_import_key(s, &weak, key, 16, &wid), KF_SUCCESS);
    CHECK_ST(kf_import_key(s, &strong, kek, 32, &sid), KF_SUCCESS);
    CHECK_ST(kf_wrap_key(s, wid, KF_ALG_AES_KW, sid, out, sizeof out, &n), KF_ERROR_NOT_PERMITTED);
    /* Works when allowed (positive control for the refusals above). */
    CHECK_ST(kf_wrap_key(s, id, KF_ALG_AES_KW, kid, out, sizeof out, &n), KF_SUCCESS);
    CHECK(n == 24 && !all_zero(out, 24), "wrap of a 16-byte key is 24 bytes");

    /* Wrong MAC (a flipped byte of the wrapped key): refused, id zeroed, nothing stored. */
    out[5] ^= 1;
    kf_key_attributes_t ua = attrs(6, KF_KEY_TYPE_AES, 128, KF_KEY_USAGE_ENCRYPT);
    id = 0x1234;
    kf_key_id_t uid = 0x7777;
    CHECK_ST(kf_unwrap_key(s, &ua, KF_KEY_ID(1, 0), KF_ALG_AES_KW, out, n, &uid), KF_ERROR_INVALID_SIGNATURE);
    CHECK(uid == 0 && !exists(s, KF_KEY_ID(6, 0)), "failed unwrap: id zeroed, nothing stored");
    out[5] ^= 1;
    CHECK_ST(kf_unwrap_key(s, &ua, KF_KEY_ID(1, 0), KF_ALG_AES_KW, out, n, &uid), KF_SUCCESS);

    /* DUKPT calls without a terminal or a transaction. */
    uint8_t ksn[12];
    memset(ksn, 0xAA, sizeof ksn);
    CHECK_ST(kf_dukpt_begin(s, ksn, sizeof ksn), KF_ERROR_BAD_STATE);
    CHECK(all_zero(ksn, sizeof ksn), "ksn zeroed on failure");
    CHECK_ST(kf_dukpt_mac(s, KF_ALG_CMAC, key, 16, out, sizeof out, &n), KF_ERROR_BAD_STATE);

    /* Re-entry from a board callback is refused; the outer call still works. */
    b->store = s;
    b->reenter = 1;
    b->reenter_status = KF_SUCCESS;
    CHECK_ST(kf_key_check_value(s, kid, KF_KCV_CMAC, out, sizeof out, &n), KF_SUCCESS);
    CHECK(b->reenter_status == KF_ERROR_BAD_STATE, "re-entry refused with BAD_STATE (got %d)",
          (int)b->reenter_status);

    CHECK_ST(kf_store_close(s), KF_SUCCESS);
    free(s);
    free(b);
}

/* ---- wrap/unwrap audit, backup export/import ---- */

/* How many events of `code` for key id `id` the audit log holds. */
static size_t audit_count(kf_store_t *s, uint32_t code, uint16_t id) {
    kf_audit_event_t ev[KF_MAX_LIST];
    size_t n = 0, c = 0;
    if (kf_audit(s, ev, KF_MAX_LIST, &n) != KF_SUCCESS) return (size_t)-1;
    for (size_t i = 0; i < n; i++) c += ev[i].code == code && ev[i].id == id;
    return c;
}

static void test_wrap_audit_and_backup(void) {
    board_ctx *b = new_ctx(), *b2 = new_ctx();
    kf_board_t kb = board_of(b), kb2 = board_of(b2);
    kf_store_t *s = new_store(), *s2 = new_store();
    CHECK_ST(kf_store_format(s, &kb), KF_SUCCESS);
    CHECK_ST(kf_store_format(s2, &kb2), KF_SUCCESS);

    /* RFC 3394 4.1: the stored key wrapped under the stored KEK is the published
     * ciphertext, and the export is audited (code 9); a refused wrap is not. */
    uint8_t kek[16], key[16], ct[24], out[KF_BACKUP_MAX_SIZE + 8];
    unhex("000102030405060708090A0B0C0D0E0F", kek, sizeof kek);
    unhex("00112233445566778899AABBCCDDEEFF", key, sizeof key);
    unhex("1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5", ct, sizeof ct);
    kf_key_attributes_t ka = attrs(1, KF_KEY_TYPE_AES, 128, KF_KEY_USAGE_WRAP | KF_KEY_USAGE_UNWRAP);
    kf_key_attributes_t kk = attrs(2, KF_KEY_TYPE_AES, 128, KF_KEY_USAGE_EXPORT | KF_KEY_USAGE_ENCRYPT);
    kf_key_attributes_t kn = attrs(3, KF_KEY_TYPE_AES, 128, KF_KEY_USAGE_ENCRYPT);
    kf_key_id_t kek_id, key_id, no_id, uid;
    size_t n = 0;
    CHECK_ST(kf_import_key(s, &ka, kek, 16, &kek_id), KF_SUCCESS);
    CHECK_ST(kf_import_key(s, &kk, key, 16, &key_id), KF_SUCCESS);
    CHECK_ST(kf_import_key(s, &kn, key, 16, &no_id), KF_SUCCESS);
    CHECK(audit_count(s, 9, 2) == 0 && audit_count(s, 4, 4) == 0, "no export or wrapped import yet");
    CHECK_ST(kf_wrap_key(s, kek_id, KF_ALG_AES_KW, key_id, out, sizeof out, &n), KF_SUCCESS);
    CHECK(n == 24 && memcmp(out, ct, 24) == 0, "RFC 3394 4.1 ciphertext");
    CHECK(audit_count(s, 9, 2) == 1, "wrap of a stored key is audited as an export");
    CHECK_ST(kf_wrap_key(s, kek_id, KF_ALG_AES_KW, no_id, out, sizeof out, &n), KF_ERROR_NOT_PERMITTED);
    CHECK(audit_count(s, 9, 3) == 0 && all_zero(out, sizeof out) && n == 0, "refused wrap: zeroed, not audited");
    /* Unwrap of the published ciphertext: stored, audited as a wrapped import (code 4). */
    kf_key_attributes_t ku = attrs(4, KF_KEY_TYPE_AES, 128, KF_KEY_USAGE_ENCRYPT);
    CHECK_ST(kf_unwrap_key(s, &ku, kek_id, KF_ALG_AES_KW, ct, 24, &uid), KF_SUCCESS);
    CHECK(audit_count(s, 4, 4) == 1 && audit_count(s, 3, 4) == 0, "unwrap audited as imported wrapped");
    ct[0] ^= 1;
    kf_key_attributes_t kx = attrs(5, KF_KEY_TYPE_AES, 128, KF_KEY_USAGE_ENCRYPT);
    CHECK_ST(kf_unwrap_key(s, &kx, kek_id, KF_ALG_AES_KW, ct, 24, &uid), KF_ERROR_INVALID_SIGNATURE);
    CHECK(uid == 0 && audit_count(s, 4, 5) == 0 && !exists(s, KF_KEY_ID(5, 0)), "forged unwrap: nothing");

    /* Backup export: bad inputs first (outputs zeroed, nothing exported). */
    uint8_t bkek[32];
    memset(bkek, 0x5C, sizeof bkek);
    kf_key_attributes_t kb_attr = attrs(9, KF_KEY_TYPE_AES, 256, KF_KEY_USAGE_WRAP | KF_KEY_USAGE_UNWRAP);
    kf_key_attributes_t kb_wrap_only = attrs(10, KF_KEY_TYPE_AES, 256, KF_KEY_USAGE_WRAP);
    kf_key_id_t bk, bk_wrap_only, bk2;
    CHECK_ST(kf_import_key(s, &kb_attr, bkek, 32, &bk), KF_SUCCESS);
    CHECK_ST(kf_import_key(s, &kb_wrap_only, bkek, 32, &bk_wrap_only), KF_SUCCESS);
    CHECK_ST(kf_import_key(s2, &kb_attr, bkek, 32, &bk2), KF_SUCCESS);
    size_t before = audit_count(s, 9, 2);
    CHECK_ST(kf_export_backup(s, bk, key_id, NULL, 16, &n), KF_ERROR_INVALID_ARGUMENT);
    CHECK_ST(kf_export_backup(s, bk, key_id, out, SIZE_MAX, &n), KF_ERROR_INVALID_ARGUMENT);
    CHECK_ST(kf_export_backup(s, bk, key_id, out, sizeof out, NULL), KF_ERROR_INVALID_ARGUMENT);
    CHECK_ST(kf_export_backup(s, bk, key_id, out, sizeof out, (size_t *)(void *)(out + 8)),
             KF_ERROR_INVALID_ARGUMENT);
    memset(out, 0xAA, sizeof out);
    n = 77;
    CHECK_ST(kf_export_backup(s, bk, key_id, out, KF_BACKUP_MAX_SIZE - 1, &n), KF_ERROR_BUFFER_TOO_SMALL);
    CHECK(all_zero(out, KF_BACKUP_MAX_SIZE - 1) && n == 0, "too-small backup buffer zeroed");
    CHECK_ST(kf_export_backup(s, bk, no_id, out, sizeof out, &n), KF_ERROR_NOT_PERMITTED);
    CHECK_ST(kf_export_backup(s, kek_id, key_id, out, sizeof out, &n), KF_SUCCESS); /* 128-bit KEK, 128-bit key: allowed */
    CHECK_ST(kf_export_backup(s, KF_KEY_ID(99, 0), key_id, out, sizeof out, &n), KF_ERROR_DOES_NOT_EXIST);
    CHECK(all_zero(out, sizeof out) && n == 0, "refused export: zeroed");
    CHECK(audit_count(s, 9, 2) == before + 1, "only the allowed export is audited");

    /* Export, then import into another store (a migration): the same key comes back. */
    uint8_t blob[KF_BACKUP_MAX_SIZE];
    size_t blob_n = 0;
    CHECK_ST(kf_export_backup(s, bk, key_id, blob, sizeof blob, &blob_n), KF_SUCCESS);
    CHECK(blob_n == 112, "backup of a 16-byte key: KWP of 100 bytes is 112 (got %zu)", blob_n);
    CHECK(audit_count(s, 9, 2) == before + 2, "backup export audited");
    kf_key_id_t got_id = 0xFFFF;
    CHECK_ST(kf_import_backup(s2, bk2, NULL, blob_n, &got_id), KF_ERROR_INVALID_ARGUMENT);
    CHECK_ST(kf_import_backup(s2, bk2, blob, KF_BACKUP_MAX_SIZE + 1, &got_id), KF_ERROR_INVALID_ARGUMENT);
    CHECK_ST(kf_import_backup(s2, bk2, blob, blob_n, (kf_key_id_t *)(void *)(blob + 4)), KF_ERROR_INVALID_ARGUMENT);
    blob[20] ^= 1;
    got_id = 0xFFFF;
    CHECK_ST(kf_import_backup(s2, bk2, blob, blob_n, &got_id), KF_ERROR_INVALID_SIGNATURE);
    CHECK(got_id == 0 && !exists(s2, KF_KEY_ID(2, 0)), "altered blob: nothing stored, id zeroed");
    blob[20] ^= 1;
    CHECK_ST(kf_import_backup(s2, bk2, blob, blob_n, &got_id), KF_SUCCESS);
    CHECK(got_id == KF_KEY_ID(2, 1), "backup keeps the key id");
    uint8_t kcv1[8], kcv2[8];
    CHECK_ST(kf_key_check_value(s, key_id, KF_KCV_CMAC, kcv1, 5, &n), KF_SUCCESS);
    CHECK_ST(kf_key_check_value(s2, got_id, KF_KCV_CMAC, kcv2, 5, &n), KF_SUCCESS);
    CHECK(memcmp(kcv1, kcv2, 5) == 0, "the imported key is the exported one (check values)");
    CHECK(audit_count(s2, 10, 2) == 1, "backup import audited");
    CHECK_ST(kf_import_backup(s2, bk2, blob, blob_n, &got_id), KF_ERROR_ALREADY_EXISTS);
    /* Into the exporting store after the key was destroyed: an old blob, refused. */
    CHECK_ST(kf_destroy_key(s, key_id), KF_SUCCESS);
    CHECK_ST(kf_import_backup(s, bk, blob, blob_n, &got_id), KF_ERROR_ROLLED_BACK);
    CHECK(!exists(s, KF_KEY_ID(2, 0)), "replayed backup: nothing stored");
    /* A KEK without UNWRAP cannot import. */
    CHECK_ST(kf_import_backup(s, bk_wrap_only, blob, blob_n, &got_id), KF_ERROR_NOT_PERMITTED);

    CHECK_ST(kf_store_close(s), KF_SUCCESS);
    CHECK_ST(kf_store_close(s2), KF_SUCCESS);
    free(s);
    free(s2);
    free(b);
    free(b2);
}

/* ---- vectors ---- */

static kf_store_t *vstore;
static board_ctx *vboard;

static void vectors_open(void) {
    vboard = new_ctx();
    kf_board_t kb = board_of(vboard);
    vstore = new_store();
    if (kf_store_format(vstore, &kb) != KF_SUCCESS) {
        fprintf(stderr, "cannot format the vector store\n");
        exit(2);
    }
}

static void kcv_pair(kf_key_id_t k, uint8_t out[8]) {
    size_t n;
    memset(out, 0, 8);
    CHECK_ST(kf_key_check_value(vstore, k, KF_KCV_CMAC, out, 5, &n), KF_SUCCESS);
    CHECK_ST(kf_key_check_value(vstore, k, KF_KCV_LEGACY, out + 5, 3, &n), KF_SUCCESS);
}

/* kw|kwp SOURCE KEK KEY CT valid|invalid: unwrap CT under the stored KEK; a valid one
 * must give KEY (shown by wrapping the stored result back to CT, byte for byte), an
 * invalid one must be refused and store nothing. */
static int vector_wrap(const char *scheme, const char *src, const char *kekh, const char *keyh,
                       const char *cth, const char *result) {
    uint8_t kek[32], key[32], ct[64], out[64];
    size_t kek_n = unhex(kekh, kek, sizeof kek), key_n = strcmp(keyh, "-") ? unhex(keyh, key, sizeof key) : 0;
    size_t ct_n = unhex(cth, ct, sizeof ct);
    uint32_t alg = strcmp(scheme, "kw") == 0 ? KF_ALG_AES_KW : KF_ALG_AES_KWP;
    int valid = strcmp(result, "valid") == 0;
    size_t bits_n = valid ? key_n : ct_n - 8;
    kf_key_attributes_t ka = attrs(100, KF_KEY_TYPE_AES, (uint16_t)(kek_n * 8), KF_KEY_USAGE_WRAP | KF_KEY_USAGE_UNWRAP);
    kf_key_attributes_t kk = attrs(101, KF_KEY_TYPE_AES, (uint16_t)(bits_n * 8), KF_KEY_USAGE_EXPORT);
    kf_key_id_t kek_id, key_id = 0xFFFF;
    int ok = 1;
    if (kf_import_key(vstore, &ka, kek, kek_n, &kek_id) != KF_SUCCESS) {
        fprintf(stderr, "FAIL %s: KEK import\n", src);
        return 0;
    }
    kf_status_t st = kf_unwrap_key(vstore, &kk, kek_id, alg, ct, ct_n, &key_id);
    if (valid) {
        size_t n = 0;
        ok = st == KF_SUCCESS && kf_wrap_key(vstore, kek_id, alg, key_id, out, sizeof out, &n) == KF_SUCCESS &&
             n == ct_n && memcmp(out, ct, n) == 0;
        (void)key;
    } else {
        ok = st != KF_SUCCESS && key_id == 0 && !exists(vstore, KF_KEY_ID(101, 0));
    }
    if (!ok) fprintf(stderr, "FAIL %s (%s, status %d)\n", src, result, (int)st);
    kf_destroy_key(vstore, KF_KEY_ID(101, 0));
    kf_destroy_key(vstore, KF_KEY_ID(100, 0));
    return ok;
}

/* tr31 ID KBPK_KIND KBPK BLOCK ok|error KIND KEY: import the block under the stored KBPK;
 * an ok one must store KEY (its CMAC and legacy check values equal those of KEY imported
 * plainly), an error one must be refused, store nothing and leave the attributes zeroed. */
static int vector_tr31(const char *id, const char *kbpk_kind, const char *kbpkh, const char *block,
                       const char *expect, const char *kind, const char *keyh) {
    uint8_t kbpk[32], key[32];
    size_t kbpk_n = unhex(kbpkh, kbpk, sizeof kbpk);
    uint16_t kt = strcmp(kbpk_kind, "des") == 0 ? KF_KEY_TYPE_DES : KF_KEY_TYPE_AES;
    kf_key_attributes_t ka =
        attrs(200, kt, (uint16_t)(kbpk_n * 8), KF_KEY_USAGE_UNWRAP | KF_KEY_PURPOSE_TR31_KBPK);
    kf_key_id_t kbpk_id;
    if (kf_import_key(vstore, &ka, kbpk, kbpk_n, &kbpk_id) != KF_SUCCESS) {
        /* A KBPK keyfort cannot hold (a one-key DES KBPK): the block cannot be imported. */
        return strcmp(expect, "error") == 0;
    }
    kf_key_attributes_t got;
    memset(&got, 0xAA, sizeof got);
    kf_status_t st = kf_tr31_import(vstore, kbpk_id, (const uint8_t *)block, strlen(block), 201, &got);
    int ok;
    if (strcmp(expect, "ok") == 0) {
        size_t key_n = unhex(keyh, key, sizeof key);
        uint16_t t = strcmp(kind, "des") == 0 ? KF_KEY_TYPE_DES : KF_KEY_TYPE_AES;
        kf_key_attributes_t pa = attrs(202, t, (uint16_t)(key_n * 8), KF_KEY_USAGE_DECRYPT);
        kf_key_id_t pid;
        uint8_t a[8], b[8];
        ok = st == KF_SUCCESS && got.id == KF_KEY_ID(201, 1) &&
             kf_import_key(vstore, &pa, key, key_n, &pid) == KF_SUCCESS;
        if (ok) {
            kcv_pair(KF_KEY_ID(201, 0), a);
            kcv_pair(pid, b);
            ok = memcmp(a, b, 8) == 0 && !all_zero(a, 8);
        }
    } else {
        ok = st != KF_SUCCESS && all_zero(&got, sizeof got) && !exists(vstore, KF_KEY_ID(201, 0));
    }
    if (!ok) fprintf(stderr, "FAIL tr31 %s (expect %s, status %d)\n", id, expect, (int)st);
    kf_destroy_key(vstore, KF_KEY_ID(202, 0));
    kf_destroy_key(vstore, KF_KEY_ID(201, 0));
    kf_destroy_key(vstore, KF_KEY_ID(200, 0));
    return ok;
}

/* dukpt ID IK IKID COUNTER cmac|hmac|cbc IV DATA EXPECTED, sorted by IKID and counter:
 * the initial key is imported (label = IKID in hex, usage DERIVE) and loaded once per
 * IKID; transactions are begun until the KSN's counter is COUNTER, then the operation's
 * output must equal EXPECTED. */
static char cur_ikid[17];
static uint32_t cur_counter;

static int vector_dukpt(const char *id, const char *ikh, const char *ikid, unsigned long counter,
                        const char *op, const char *ivh, const char *datah, const char *exph) {
    uint8_t ik[32], data[256], exp[64], out[256], iv[16], ksn[12];
    size_t n, ik_n = unhex(ikh, ik, sizeof ik), data_n = unhex(datah, data, sizeof data);
    size_t exp_n = unhex(exph, exp, sizeof exp);
    if (strcmp(cur_ikid, ikid) != 0 || counter < cur_counter) {
        kf_destroy_key(vstore, KF_KEY_ID(300, 0));
        kf_key_attributes_t a = attrs(300, KF_KEY_TYPE_AES, (uint16_t)(ik_n * 8),
                                      KF_KEY_USAGE_DERIVE | KF_KEY_PURPOSE_DUKPT_IK);
        memcpy(a.label, ikid, 16);
        a.label_len = 16;
        kf_key_id_t k;
        if (kf_import_key(vstore, &a, ik, ik_n, &k) != KF_SUCCESS ||
            kf_dukpt_load_initial_key(vstore, k) != KF_SUCCESS) {
            fprintf(stderr, "FAIL %s: initial key load\n", id);
            return 0;
        }
        kf_destroy_key(vstore, k); /* the terminal never needs it again */
        snprintf(cur_ikid, sizeof cur_ikid, "%s", ikid);
        cur_counter = 0;
    }
    while (cur_counter < counter) {
        if (kf_dukpt_begin(vstore, ksn, sizeof ksn) != KF_SUCCESS) {
            fprintf(stderr, "FAIL %s: begin\n", id);
            return 0;
        }
        cur_counter = (uint32_t)ksn[8] << 24 | (uint32_t)ksn[9] << 16 | (uint32_t)ksn[10] << 8 | ksn[11];
    }
    if (cur_counter != counter) {
        fprintf(stderr, "FAIL %s: counter %lu not reached (at %u)\n", id, counter, (unsigned)cur_counter);
        return 0;
    }
    kf_status_t st;
    if (strcmp(op, "cbc") == 0) {
        unhex(ivh, iv, sizeof iv);
        st = kf_dukpt_encrypt_data(vstore, iv, 16, data, data_n, out, sizeof out, &n);
    } else {
        st = kf_dukpt_mac(vstore, strcmp(op, "cmac") == 0 ? KF_ALG_CMAC : KF_ALG_HMAC_SHA_256, data, data_n,
                          out, sizeof out, &n);
    }
    int ok = st == KF_SUCCESS && n == exp_n && memcmp(out, exp, n) == 0;
    if (!ok) fprintf(stderr, "FAIL %s (%s at counter %lu, status %d)\n", id, op, counter, (int)st);
    return ok;
}

static void test_vectors(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cannot read vector file %s\n", path);
        failed++;
        return;
    }
    vectors_open();
    static char line[20000];
    int kw = 0, tr31 = 0, dukpt = 0;
    while (fgets(line, sizeof line, f)) {
        char *t[10];
        int nt = 0;
        for (char *p = strtok(line, " \n"); p && nt < 10; p = strtok(NULL, " \n")) t[nt++] = p;
        if (nt == 0) continue;
        int ok;
        if ((strcmp(t[0], "kw") == 0 || strcmp(t[0], "kwp") == 0) && nt == 6) {
            ok = vector_wrap(t[0], t[1], t[2], t[3], t[4], t[5]);
            kw++;
        } else if (strcmp(t[0], "tr31") == 0 && nt == 8) {
            ok = vector_tr31(t[1], t[2], t[3], t[4], t[5], t[6], t[7]);
            tr31++;
        } else if (strcmp(t[0], "dukpt") == 0 && nt == 9) {
            ok = vector_dukpt(t[1], t[2], t[3], strtoul(t[4], NULL, 10), t[5], t[6], t[7], t[8]);
            dukpt++;
        } else {
            fprintf(stderr, "FAIL: unreadable vector line starting %s\n", t[0]);
            ok = 0;
        }
        if (ok)
            passed++;
        else
            failed++;
    }
    fclose(f);
    CHECK(kw > 0 && tr31 > 0 && dukpt > 0, "vector file has every kind (kw %d, tr31 %d, dukpt %d)", kw, tr31,
          dukpt);
    printf("vectors: %d KW/KWP, %d TR-31, %d AES DUKPT\n", kw, tr31, dukpt);

    /* A PIN block (format 4, random fill) from the current transaction: 16 bytes, and
     * two blocks of the same PIN differ (the fill is fresh each time). */
    uint8_t pb1[16], pb2[16];
    size_t n1, n2;
    CHECK_ST(kf_dukpt_encrypt_pin(vstore, (const uint8_t *)"1234", 4, (const uint8_t *)"4111111111111111", 16, pb1,
                                  sizeof pb1, &n1),
             KF_SUCCESS);
    CHECK_ST(kf_dukpt_encrypt_pin(vstore, (const uint8_t *)"1234", 4, (const uint8_t *)"4111111111111111", 16, pb2,
                                  sizeof pb2, &n2),
             KF_SUCCESS);
    CHECK(n1 == 16 && n2 == 16 && memcmp(pb1, pb2, 16) != 0, "PIN blocks carry fresh fill");
    memset(pb1, 0xAA, sizeof pb1);
    CHECK_ST(kf_dukpt_encrypt_pin(vstore, (const uint8_t *)"12a4", 4, (const uint8_t *)"4111111111111111", 16, pb1,
                                  sizeof pb1, &n1),
             KF_ERROR_INVALID_ARGUMENT);
    CHECK(all_zero(pb1, sizeof pb1) && n1 == 0, "bad PIN: block zeroed");
    CHECK_ST(kf_dukpt_end(vstore), KF_SUCCESS);
    CHECK_ST(kf_dukpt_encrypt_pin(vstore, (const uint8_t *)"1234", 4, (const uint8_t *)"4111111111111111", 16, pb1,
                                  sizeof pb1, &n1),
             KF_ERROR_BAD_STATE);

    /* The terminal survives a close/open: the next counter continues. */
    uint32_t next = 0;
    uint8_t ikid[8];
    CHECK_ST(kf_dukpt_status(vstore, &next, ikid, sizeof ikid), KF_SUCCESS);
    CHECK_ST(kf_store_close(vstore), KF_SUCCESS);
    kf_board_t kb = board_of(vboard);
    CHECK_ST(kf_store_open(vstore, &kb), KF_SUCCESS);
    uint32_t next2 = 0;
    CHECK_ST(kf_dukpt_status(vstore, &next2, ikid, sizeof ikid), KF_SUCCESS);
    CHECK(next2 == next && next > cur_counter, "counter persists across reopen (%u, %u)", (unsigned)next,
          (unsigned)next2);
    CHECK_ST(kf_store_close(vstore), KF_SUCCESS);
    free(vstore);
    free(vboard);
}

/* ---- the cost of the C boundary ---- */

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#define BENCH_ROUNDS 15
#define BENCH_CALLS 200000

/* Prints "capi_bench NAME NS" per entry point: the median over BENCH_ROUNDS rounds of ns
 * per call. `kf_dukpt_end` does almost nothing behind the boundary (it drops a
 * transaction that is not there), so its time is the boundary's own cost: pointer and
 * state checks, the busy flag, panic containment. `kf_get_key_attributes` adds a key
 * lookup and a struct copy-out. */
static int bench_boundary(void) {
    board_ctx *b = new_ctx();
    kf_board_t kb = board_of(b);
    kf_store_t *s = new_store();
    uint8_t key[16] = {1};
    kf_key_attributes_t a = attrs(1, KF_KEY_TYPE_AES, 128, KF_KEY_USAGE_ENCRYPT), got;
    kf_key_id_t id;
    if (kf_store_format(s, &kb) != KF_SUCCESS || kf_import_key(s, &a, key, 16, &id) != KF_SUCCESS) {
        fprintf(stderr, "capi_bench: setup failed\n");
        return 1;
    }
    const char *names[2] = {"kf_dukpt_end", "kf_get_key_attributes"};
    for (int op = 0; op < 2; op++) {
        double r[BENCH_ROUNDS];
        for (int k = 0; k < BENCH_ROUNDS; k++) {
            kf_status_t acc = 0;
            double t0 = now_ns();
            for (int i = 0; i < BENCH_CALLS; i++)
                acc |= op == 0 ? kf_dukpt_end(s) : kf_get_key_attributes(s, id, &got);
            r[k] = (now_ns() - t0) / BENCH_CALLS;
            if (acc != KF_SUCCESS) {
                fprintf(stderr, "capi_bench: %s failed\n", names[op]);
                return 1;
            }
        }
        qsort(r, BENCH_ROUNDS, sizeof r[0], cmp_double);
        printf("capi_bench %s %.1f\n", names[op], r[BENCH_ROUNDS / 2]);
    }
    kf_store_close(s);
    free(s);
    free(b);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "--bench") == 0) return bench_boundary();
    if (argc != 2) {
        fprintf(stderr, "usage: %s VECTOR_FILE\n", argv[0]);
        return 2;
    }
    CHECK(sizeof(kf_store_t) == KF_STORE_SIZE, "kf_store_t is KF_STORE_SIZE bytes");
    test_lifecycle();
    test_board_checks();
    test_bad_inputs();
    test_wrap_audit_and_backup();
    test_vectors(argv[1]);
    printf("capi_test: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
