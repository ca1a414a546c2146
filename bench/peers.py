"""Peer timings for `./x bench` (run by xtask/src/bench_host.rs).

Prints `py <name> <ns per op> <iterations>` lines (best of 5 rounds), or
`py-skip <name> <reason>` when a peer is not installed.

Peers:
- OpenSSL through pyca/cryptography (`cryptography.hazmat.primitives.keywrap`): AES-KW and
  AES-KWP wrap / unwrap. The time includes Python's call overhead (about 0.1-0.3 us).
- TDES DUKPT host derivation (ANSI X9.24-1-2009, BDK + KSN to the PIN key): PyPI
  `pydukpt` 0.1.0 (MIT) and `dukpt` 1.0.1 (MIT), both on pycryptodome.
- AES DUKPT host derivation (ANSI X9.24-3-2017, BDK + KSN to an AES-128 PIN working key):
  no independent AES DUKPT implementation is published on the registries reachable here
  (the npm `dukpt` package's "AES" mode is IDTech's TDES-keyed scheme; the PyPI ones are
  TDES only), so `aes_dukpt_working_key` below is a plain reading of X9.24-3 over OpenSSL
  AES-ECB, written for this benchmark and checked against the shared X9.24-3 vector
  before it is timed.
"""
import sys
import timeit

ROUNDS = 5
MIN_TIME = 0.15


def bench(name, fn):
    t = timeit.Timer(fn)
    n, _ = t.autorange()
    n = max(n, int(n * MIN_TIME / 0.2))
    best = min(t.repeat(repeat=ROUNDS, number=n)) / n
    print(f"py {name} {best * 1e9:.1f} {n}", flush=True)


def keywrap():
    try:
        from cryptography.hazmat.primitives import keywrap as kw
    except ImportError as e:
        print(f"py-skip openssl-kw cryptography not installed ({e})")
        return
    import cryptography

    print(f"py-version cryptography {cryptography.__version__}")
    for klen, tag in ((16, "128"), (32, "256")):
        kek = bytes([0x11]) * klen
        key = bytes([0x5A]) * klen
        w = kw.aes_key_wrap(kek, key)
        wp = kw.aes_key_wrap_with_padding(kek, key)
        bench(f"openssl-kw-wrap-{tag}", lambda: kw.aes_key_wrap(kek, key))
        bench(f"openssl-kw-unwrap-{tag}", lambda: kw.aes_key_unwrap(kek, w))
        bench(f"openssl-kwp-wrap-{tag}", lambda: kw.aes_key_wrap_with_padding(kek, key))
        bench(f"openssl-kwp-unwrap-{tag}", lambda: kw.aes_key_unwrap_with_padding(kek, wp))


def aes_dukpt_working_key(bdk, ikid, counter):
    """X9.24-3-2017 host side, AES-128 BDK, AES-128 PIN working key."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    def derive(key, data):
        e = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
        return e.update(data) + e.finalize()

    head = bytes([0x01, 0x01])
    key = derive(bdk, head + b"\x80\x01\x00\x02\x00\x80" + ikid)
    work = 0
    bit = 1 << 31
    while bit:
        if counter & bit:
            work |= bit
            key = derive(key, head + b"\x80\x00\x00\x02\x00\x80" + ikid[4:] + work.to_bytes(4, "big"))
        bit >>= 1
    return derive(key, head + b"\x10\x00\x00\x02\x00\x80" + ikid[4:] + counter.to_bytes(4, "big"))


def aes_dukpt():
    try:
        import cryptography  # noqa: F401
    except ImportError as e:
        print(f"py-skip aes-dukpt cryptography not installed ({e})")
        return
    # X9.24-3-2017 supplement test vector (shared vectors, id aes-0018).
    got = aes_dukpt_working_key(
        bytes.fromhex("FEDCBA9876543210F1F1F1F1F1F1F1F1"), bytes.fromhex("1234567890123456"), 1
    )
    if got.hex().upper() != "AF8CB133A78F8DC2D1359F18527593FB":
        print("py-skip aes-dukpt reference implementation disagrees with vector aes-0018")
        return
    bdk = bytes([0x11]) * 16
    ikid = bytes.fromhex("1234567890123456")
    for counter, label in ((0x1, "1bit"), (0xFF, "8bits"), (0xFFFF, "16bits")):
        bench(f"pyref-aes-dukpt-derive-{label}", lambda: aes_dukpt_working_key(bdk, ikid, counter))


def tdes_dukpt():
    # The X9.24-1 example BDK (a 2-key TDES key whose halves differ).
    bdk = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    ksns = (
        ("1bit", bytes.fromhex("FFFF9876543210E00001")),
        ("8bits", bytes.fromhex("FFFF9876543210E000FF")),
        ("10bits", bytes.fromhex("FFFF9876543210E0FFC0")),
    )
    try:
        import pydukpt

        for label, ksn in ksns:
            bench(
                f"pydukpt-tdes-dukpt-derive-{label}",
                lambda: pydukpt.pin_key(pydukpt.derive_key(pydukpt.derive_ipek(bdk, ksn), ksn)),
            )
    except ImportError as e:
        print(f"py-skip pydukpt not installed ({e})")
    try:
        import dukpt
        from bitstring import BitArray

        server = dukpt.Server(bdk=bdk)

        def derive(ksn):
            # `Server.gen_key` passes bytes where its own `generate_ipek` wants a BitArray
            # (an AttributeError in 1.0.1), so call its two steps directly.
            k = BitArray(bytes=ksn)
            return server.derive_key(server.generate_ipek(k), k).bytes

        for label, ksn in ksns:
            bench(f"dukpt101-tdes-dukpt-derive-{label}", lambda: derive(ksn))
    except ImportError as e:
        print(f"py-skip dukpt not installed ({e})")


if __name__ == "__main__":
    print(f"py-version python {sys.version.split()[0]}")
    keywrap()
    aes_dukpt()
    tdes_dukpt()
