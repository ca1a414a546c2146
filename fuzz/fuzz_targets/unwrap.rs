//! Fuzzes AES-KW / AES-KWP unwrap with an arbitrary KEK (size and bytes) and arbitrary
//! wrapped input. Checks: no panic; on an integrity failure every byte of the output buffer
//! is zero; on a length error the buffer is untouched; on success wrapping the result again
//! gives back exactly the input; the in-place form agrees with the buffer form.
//!
//! Input layout: byte 0 = selector (bit 0: KW/KWP, bits 1-2: KEK size 16/24/32/odd),
//! then the KEK, then the wrapped input.
#![no_main]
use keyfort::key::{KeyWrapUnwrap, TypedKey};
use keyfort::wrap::{
    kw_unwrap, kw_unwrap_in_place, kw_wrap, kwp_unwrap, kwp_unwrap_in_place, kwp_wrap, Kek,
    WrapError,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let kwp = sel & 1 == 1;
    let kek_len = [16usize, 24, 32, usize::from(sel >> 3) & 31][usize::from((sel >> 1) & 3)];
    if rest.len() < kek_len {
        return;
    }
    let (kek_bytes, wrapped) = rest.split_at(kek_len);
    let kek = match TypedKey::<KeyWrapUnwrap>::raw_aes(kek_bytes)
        .map_err(WrapError::from)
        .and_then(|k| Kek::new(&k))
    {
        Ok(k) => k,
        Err(e) => {
            assert_eq!(e, WrapError::KekLength);
            assert!(![16, 24, 32].contains(&kek_len));
            return;
        }
    };

    let mut out = vec![0xEEu8; wrapped.len() + 8];
    let r = if kwp {
        kwp_unwrap(&kek, wrapped, &mut out)
    } else {
        kw_unwrap(&kek, wrapped, &mut out)
    };
    let mut buf = wrapped.to_vec();
    let wl = buf.len();
    let r2 = if kwp {
        kwp_unwrap_in_place(&kek, &mut buf, wl)
    } else {
        kw_unwrap_in_place(&kek, &mut buf, wl)
    };
    assert_eq!(r, r2, "in-place and buffer unwrap disagree");
    match r {
        Ok(n) => {
            assert_eq!(buf[..n], out[..n]);
            let mut again = vec![0u8; n + 16];
            let m = if kwp {
                kwp_wrap(&kek, &out[..n], &mut again)
            } else {
                kw_wrap(&kek, &out[..n], &mut again)
            }
            .expect("a key that unwrapped must wrap");
            assert_eq!(&again[..m], wrapped, "wrap(unwrap(x)) != x");
        }
        Err(WrapError::Integrity) => {
            assert!(out.iter().all(|&b| b == 0), "failed unwrap left data");
            assert!(buf.iter().all(|&b| b == 0), "failed in-place unwrap left data");
        }
        Err(_) => {
            assert!(out.iter().all(|&b| b == 0xEE), "length error touched the buffer");
            assert_eq!(buf, wrapped, "length error touched the in-place buffer");
        }
    }

    // The same bytes as key data: wrap then unwrap must round-trip.
    let mut w = vec![0u8; wrapped.len() + 16];
    let res = if kwp {
        kwp_wrap(&kek, wrapped, &mut w)
    } else {
        kw_wrap(&kek, wrapped, &mut w)
    };
    if let Ok(m) = res {
        let mut back = vec![0u8; m];
        let k = if kwp {
            kwp_unwrap(&kek, &w[..m], &mut back)
        } else {
            kw_unwrap(&kek, &w[..m], &mut back)
        }
        .expect("unwrap of a fresh wrap");
        assert_eq!(&back[..k], wrapped);
    }
});
