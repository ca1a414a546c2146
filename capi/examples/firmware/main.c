/*
 * keyfort C example firmware: the demo terminal's flow through the C API, on QEMU
 * (mps2-an386, Cortex-M4F; microbit, Cortex-M0). Flash is a host file reached through
 * semihosting, so the store survives the close/open in the middle.
 *
 * It formats a store, imports a DUKPT initial key, loads the terminal, destroys the
 * initial key, and runs transactions: for each it prints one record
 *   TX <KSN> <AES-CMAC of MSG> <AES-CBC of MSG, zero-padded, zero IV> <PIN block>
 * which the host (`./x test capi`) verifies by re-deriving every working key from the
 * BDK with keyfort's host code.
 *
 * TEST ONLY: the initial key is the published X9.24-3 test key (vector aes-0001: BDK
 * FEDCBA9876543210F1F1F1F1F1F1F1F1, initial key ID 1234567890123456), the device secret
 * is a constant and the entropy a counter: never use these in a product.
 */
#include "keyfort.h"
#include "semihost.h"

#define TRANSACTIONS 4
#define FLASH_SECTORS 3

static const char MSG[] = "4012345678909D987";
static const uint8_t IK[16] = {0x12, 0x73, 0x67, 0x1E, 0xA2, 0x6A, 0xC2, 0x9A,
                               0xFA, 0x4D, 0x10, 0x84, 0x12, 0x76, 0x52, 0xA1};

static kf_store_t store;
static int flash_fd = -1;
static uint32_t entropy_state = 0x2545F491u;

/* ---- semihosting file as NOR flash ---- */

static int sh_seek(uint32_t pos) {
    uint32_t a[2] = {(uint32_t)flash_fd, pos};
    return sh_call(0x0A, a);
}
static int sh_read(uint8_t *buf, uint32_t len) {
    uint32_t a[3] = {(uint32_t)flash_fd, (uint32_t)(uintptr_t)buf, len};
    return sh_call(0x06, a); /* bytes not read */
}
static int sh_write(const uint8_t *buf, uint32_t len) {
    uint32_t a[3] = {(uint32_t)flash_fd, (uint32_t)(uintptr_t)buf, len};
    return sh_call(0x05, a); /* bytes not written */
}

static int32_t f_read(void *ctx, uint32_t off, uint8_t *buf, size_t len) {
    (void)ctx;
    return sh_seek(off) == 0 && sh_read(buf, (uint32_t)len) == 0 ? 0 : -1;
}

static int32_t f_program(void *ctx, uint32_t off, const uint8_t *data, size_t len) {
    uint8_t cur[64];
    (void)ctx;
    while (len) {
        uint32_t n = len < sizeof cur ? (uint32_t)len : sizeof cur;
        if (sh_seek(off) || sh_read(cur, n)) return -1;
        for (uint32_t i = 0; i < n; i++) {
            if ((cur[i] & data[i]) != data[i]) return -2; /* NOR: bits only go 1 -> 0 */
            cur[i] &= data[i];
        }
        if (sh_seek(off) || sh_write(cur, n)) return -1;
        off += n;
        data += n;
        len -= n;
    }
    return 0;
}

static int32_t f_erase(void *ctx, uint32_t off, uint32_t len) {
    uint8_t ff[64];
    (void)ctx;
    for (uint32_t i = 0; i < sizeof ff; i++) ff[i] = 0xFF;
    if (sh_seek(off)) return -1;
    for (uint32_t done = 0; done < len; done += sizeof ff)
        if (sh_write(ff, sizeof ff)) return -1;
    return 0;
}

static int32_t entropy(void *ctx, uint8_t *buf, size_t len) {
    (void)ctx;
    for (size_t i = 0; i < len; i++) { /* xorshift32: TEST ONLY */
        entropy_state ^= entropy_state << 13;
        entropy_state ^= entropy_state >> 17;
        entropy_state ^= entropy_state << 5;
        buf[i] = (uint8_t)(entropy_state >> 24);
    }
    return 0;
}

static int32_t device_secret(void *ctx, uint8_t *out) {
    (void)ctx;
    for (int i = 0; i < 32; i++) out[i] = (uint8_t)(0xC0 + i); /* TEST ONLY */
    return 0;
}

/* ---- output ---- */

static void put_hex(const uint8_t *b, size_t n) {
    static const char H[] = "0123456789ABCDEF";
    char s[2 * 64 + 2];
    size_t i;
    for (i = 0; i < n && i < 64; i++) {
        s[2 * i] = H[b[i] >> 4];
        s[2 * i + 1] = H[b[i] & 15];
    }
    s[2 * i] = ' ';
    s[2 * i + 1] = 0;
    sh_puts(s);
}

static int fail(const char *what, kf_status_t st) {
    char s[8];
    int v = -(int)st, i = 7;
    s[i] = 0;
    do {
        s[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v && i > 1);
    s[--i] = '-';
    sh_puts("capi-firmware: FAILED ");
    sh_puts(what);
    sh_puts(" status ");
    sh_puts(s + i);
    sh_puts("\n");
    return 1;
}

#define TRY(what, expr)                          \
    do {                                         \
        kf_status_t st_ = (expr);                \
        if (st_ != KF_SUCCESS) return fail(what, st_); \
    } while (0)

static int transaction(void) {
    uint8_t ksn[KF_KSN_SIZE], mac[16], enc[32], pin_block[16], padded[32] = {0}, iv[16] = {0};
    size_t n;
    for (size_t i = 0; i < sizeof MSG - 1; i++) padded[i] = (uint8_t)MSG[i];
    TRY("begin", kf_dukpt_begin(&store, ksn, sizeof ksn));
    TRY("mac", kf_dukpt_mac(&store, KF_ALG_CMAC, (const uint8_t *)MSG, sizeof MSG - 1, mac, sizeof mac, &n));
    TRY("encrypt", kf_dukpt_encrypt_data(&store, iv, sizeof iv, padded, sizeof padded, enc, sizeof enc, &n));
    TRY("pin", kf_dukpt_encrypt_pin(&store, (const uint8_t *)"1234", 4, (const uint8_t *)"4111111111111111", 16,
                                    pin_block, sizeof pin_block, &n));
    TRY("end", kf_dukpt_end(&store));
    sh_puts("TX ");
    put_hex(ksn, sizeof ksn);
    put_hex(mac, sizeof mac);
    put_hex(enc, sizeof enc);
    put_hex(pin_block, sizeof pin_block);
    sh_puts("\n");
    return 0;
}

int main(void) {
    static const char name[] = "capi-flash.bin";
    uint32_t open_args[3] = {(uint32_t)(uintptr_t)name, 7 /* "w+b" */, sizeof name - 1};
    flash_fd = sh_call(0x01, open_args);
    if (flash_fd < 0) return fail("flash file", KF_ERROR_STORAGE_FAILURE);

    kf_board_t board = {0};
    board.flash_size = FLASH_SECTORS * KF_SECTOR_SIZE;
    board.entropy_bits_per_byte = 1;
    board.flash_read = f_read;
    board.flash_program = f_program;
    board.flash_erase = f_erase;
    board.entropy = entropy;
    board.device_secret = device_secret;
    if (f_erase(0, 0, FLASH_SECTORS * KF_SECTOR_SIZE)) return fail("blank flash", KF_ERROR_STORAGE_FAILURE);

    kf_status_t st = kf_store_open(&store, &board);
    if (st != KF_ERROR_NOT_FORMATTED) return fail("open of a blank flash", st);
    TRY("format", kf_store_format(&store, &board));

    kf_key_attributes_t a = {0};
    a.id = 2;
    a.key_type = KF_KEY_TYPE_AES;
    a.bits = 128;
    a.usage = KF_KEY_USAGE_DERIVE | KF_KEY_PURPOSE_DUKPT_IK;
    a.lifetime = KF_KEY_LIFETIME_PERSISTENT;
    for (int i = 0; i < 16; i++) a.label[i] = (uint8_t)"1234567890123456"[i];
    a.label_len = 16;
    kf_key_id_t ik;
    TRY("import initial key", kf_import_key(&store, &a, IK, sizeof IK, &ik));
    TRY("load initial key", kf_dukpt_load_initial_key(&store, ik));
    TRY("destroy initial key", kf_destroy_key(&store, ik));

    for (int t = 0; t < TRANSACTIONS; t++)
        if (transaction()) return 1;
    /* A power cycle: the terminal comes back from the sealed store on flash. */
    TRY("close", kf_store_close(&store));
    TRY("reopen", kf_store_open(&store, &board));
    if (transaction()) return 1;
    TRY("close", kf_store_close(&store));
    sh_puts("capi-firmware: done\n");
    return 0;
}
