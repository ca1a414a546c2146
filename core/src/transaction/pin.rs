//! ISO 9564-1 PIN blocks: format 0 (8 bytes, TDES) and format 4 (16 bytes, AES).
//!
//! The terminal encrypts (`format0_encrypt`, `format4_encrypt`); the host decrypts and
//! parses (`format0_decrypt`, `format4_decrypt`) into a [`Pin`], which is wiped on drop.
//! PINs and PANs are ASCII digits. A block that does not parse is
//! [`OpsError::BadPinBlock`]; the parse examines every nibble of the decrypted field
//! without branching on it, so a malformed block's timing says only that it was
//! malformed (not its length nibble, not which check failed). A well-formed block's PIN
//! length is then public, as the [`Pin`]'s length (setting it takes time linear in it).
//! Checked on `thumbv6m-none-eabi` release code: the only conditional branches in the
//! parse loop are on the loop index and the public field length.
use super::{aes, tdes, OpsError};
use crate::key::{PinDecrypt, PinEncrypt, TypedKey};
use crate::secret::{Secret, SecretBuf};
use subtle::{ConditionallySelectable, ConstantTimeEq, ConstantTimeGreater, ConstantTimeLess};
use zeroize::Zeroize;

/// A clear PIN, 4 to 12 ASCII digits. Wiped on drop, Debug redacted.
pub struct Pin(SecretBuf<12>);

impl Pin {
    /// The PIN digits (ASCII). Keep the borrow short.
    pub fn expose(&self) -> &[u8] {
        self.0.expose()
    }
}

impl core::fmt::Debug for Pin {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Pin(..)")
    }
}

fn check_pin(pin: &[u8]) -> Result<(), OpsError> {
    if !(4..=12).contains(&pin.len()) || !pin.iter().all(u8::is_ascii_digit) {
        return Err(OpsError::BadPin);
    }
    Ok(())
}

fn check_pan(pan: &[u8]) -> Result<(), OpsError> {
    if !(1..=19).contains(&pan.len()) || !pan.iter().all(u8::is_ascii_digit) {
        return Err(OpsError::BadPan);
    }
    Ok(())
}

/// Writes nibble `v` at nibble position `i` of `buf`.
fn put_nibble(buf: &mut [u8], i: usize, v: u8) {
    if let Some(b) = buf.get_mut(i >> 1) {
        if i & 1 == 0 {
            *b = (*b & 0x0F) | (v << 4);
        } else {
            *b = (*b & 0xF0) | (v & 0x0F);
        }
    }
}

fn nibble(buf: &[u8], i: usize) -> u8 {
    let b = buf.get(i >> 1).copied().unwrap_or(0);
    if i & 1 == 0 {
        b >> 4
    } else {
        b & 0x0F
    }
}

/// The PIN field's first 8 bytes: format nibble, length nibble, digits, fill nibbles.
fn pin_field(format: u8, fill: u8, pin: &[u8], out: &mut [u8]) {
    put_nibble(out, 0, format);
    // 4..=12, checked by the caller.
    put_nibble(out, 1, u8::try_from(pin.len()).unwrap_or(0));
    for i in 2..16 {
        let v = pin.get(i - 2).map_or(fill, |d| d - b'0');
        put_nibble(out, i, v);
    }
}

/// Parses a PIN field; `None` if malformed. Every nibble is examined the same way
/// whatever the PIN length: the only secret-dependent branch is the final verdict (well
/// formed or not); after it, a well-formed PIN's length becomes the public length of the
/// returned buffer.
fn parse_pin_field(format: u8, fill: u8, field: &[u8]) -> Option<Pin> {
    let n = nibble(field, 1);
    let mut ok = nibble(field, 0).ct_eq(&format) & !n.ct_lt(&4) & !n.ct_gt(&12);
    let mut pin = SecretBuf::<12>::new();
    pin.set_len(12)?;
    for (j, i) in (0u8..).zip(2..16usize) {
        let v = nibble(field, i);
        let is_digit = j.ct_lt(&n);
        ok &= !is_digit | !v.ct_gt(&9);
        ok &= is_digit | v.ct_eq(&fill);
        if let Some(d) = pin.expose_mut().get_mut(usize::from(j)) {
            *d = u8::conditional_select(&0, &(b'0' + (v & 0x0F)), is_digit);
        }
    }
    if !bool::from(ok) {
        return None;
    }
    pin.set_len(usize::from(n))?;
    Some(Pin(pin))
}

/// Format 0 PAN field: four zero nibbles, then the 12 rightmost PAN digits excluding the
/// check digit (left-padded with zeros when the PAN is shorter).
fn pan_field0(pan: &[u8]) -> [u8; 8] {
    let mut f = [0u8; 8];
    let body = pan.get(..pan.len().saturating_sub(1)).unwrap_or(&[]);
    let take = body.len().min(12);
    let digits = body.get(body.len() - take..).unwrap_or(&[]);
    for (j, d) in digits.iter().enumerate() {
        put_nibble(&mut f, 16 - take + j, d - b'0');
    }
    f
}

/// Format 4 PAN field: nibble M-12 (0 if M < 12), the PAN (left-padded with zeros to
/// 12 digits), zero nibbles to 16 bytes.
fn pan_field4(pan: &[u8]) -> [u8; 16] {
    let mut f = [0u8; 16];
    let m = pan.len();
    let pad = 12usize.saturating_sub(m);
    put_nibble(&mut f, 0, u8::try_from(m.saturating_sub(12)).unwrap_or(0));
    for (j, d) in pan.iter().enumerate() {
        put_nibble(&mut f, 1 + pad + j, d - b'0');
    }
    f
}

/// The clear format 0 PIN block (PIN field XOR PAN field), in a holder that wipes it on
/// drop: the clear block gives the PIN to anyone who knows the PAN. Built in place in the
/// holder, so no plain copy is returned or left in this frame.
pub fn format0_block(pin: &[u8], pan: &[u8]) -> Result<Secret<8>, OpsError> {
    check_pin(pin)?;
    check_pan(pan)?;
    let mut b = Secret::<8>::zero();
    pin_field(0, 0xF, pin, b.expose_mut());
    for (x, p) in b.expose_mut().iter_mut().zip(pan_field0(pan).iter()) {
        *x ^= p;
    }
    Ok(b)
}

/// Format 0 PIN block encrypted (TDES-ECB) under a TDES PIN encryption key. The clear
/// block exists only inside a wiped holder, encrypted in place there.
pub fn format0_encrypt(
    key: &TypedKey<'_, PinEncrypt>,
    pin: &[u8],
    pan: &[u8],
) -> Result<[u8; 8], OpsError> {
    let c = tdes(key)?;
    let mut b = format0_block(pin, pan)?;
    c.encrypt(b.expose_mut());
    // Only the ciphertext leaves; the holder (now ciphertext) is wiped on drop.
    Ok(*b.expose())
}

/// Decrypts a format 0 PIN block and returns the PIN.
pub fn format0_decrypt(
    key: &TypedKey<'_, PinDecrypt>,
    block: &[u8; 8],
    pan: &[u8],
) -> Result<Pin, OpsError> {
    let c = tdes(key)?;
    check_pan(pan)?;
    let mut b = *block;
    c.decrypt(&mut b);
    for (x, p) in b.iter_mut().zip(pan_field0(pan).iter()) {
        *x ^= p;
    }
    let r = parse_pin_field(0, 0xF, &b).ok_or(OpsError::BadPinBlock);
    b.zeroize();
    r
}

/// Format 4 PIN block under an AES PIN encryption key, with the 8 random fill bytes
/// drawn from `rng`.
pub fn format4_encrypt<R: rand_core::CryptoRng + ?Sized>(
    key: &TypedKey<'_, PinEncrypt>,
    pin: &[u8],
    pan: &[u8],
    rng: &mut R,
) -> Result<[u8; 16], OpsError> {
    let mut fill = [0u8; 8];
    rng.fill_bytes(&mut fill);
    let r = format4_encrypt_with_fill(key, pin, pan, &fill);
    fill.zeroize();
    r
}

/// Format 4 PIN block with caller-supplied random fill (fresh random bytes for every
/// block; fixed fill only to reproduce test vectors).
pub fn format4_encrypt_with_fill(
    key: &TypedKey<'_, PinEncrypt>,
    pin: &[u8],
    pan: &[u8],
    fill: &[u8; 8],
) -> Result<[u8; 16], OpsError> {
    check_pin(pin)?;
    check_pan(pan)?;
    let c = aes(key)?;
    let mut b = [0u8; 16];
    pin_field(4, 0xA, pin, &mut b[..8]);
    b[8..].copy_from_slice(fill);
    c.encrypt(&mut b);
    for (x, p) in b.iter_mut().zip(pan_field4(pan).iter()) {
        *x ^= p;
    }
    c.encrypt(&mut b);
    Ok(b)
}

/// Decrypts a format 4 PIN block and returns the PIN.
pub fn format4_decrypt(
    key: &TypedKey<'_, PinDecrypt>,
    block: &[u8; 16],
    pan: &[u8],
) -> Result<Pin, OpsError> {
    check_pan(pan)?;
    let c = aes(key)?;
    let mut b = *block;
    c.decrypt(&mut b);
    for (x, p) in b.iter_mut().zip(pan_field4(pan).iter()) {
        *x ^= p;
    }
    c.decrypt(&mut b);
    let r = parse_pin_field(4, 0xA, &b).ok_or(OpsError::BadPinBlock);
    b.zeroize();
    r
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn format0_clear_block_matches_x924_example() {
        // X9.24-1-2009 A.4: PIN 1234, PAN 4012345678909 -> 041274EDCBA9876F.
        // The clear block comes back in a wiped-on-drop holder, not as a plain array.
        let b: Secret<8> = format0_block(b"1234", b"4012345678909").unwrap();
        assert_eq!(
            b.expose(),
            &[0x04, 0x12, 0x74, 0xED, 0xCB, 0xA9, 0x87, 0x6F]
        );
        // Its Debug output is redacted.
        assert_eq!(std::format!("{b:?}"), "Secret<8>(..)");
    }

    #[test]
    fn rejects_bad_inputs() {
        assert_eq!(
            format0_block(b"123", b"4012345678909").err(),
            Some(OpsError::BadPin)
        );
        assert_eq!(
            format0_block(b"12a4", b"4012345678909").err(),
            Some(OpsError::BadPin)
        );
        assert_eq!(format0_block(b"1234", b"").err(), Some(OpsError::BadPan));
        let k: [u8; 16] = *b"pin-format0-key!";
        let (t2, a1) = (
            crate::attributes::Algorithm::Tdes2,
            crate::attributes::Algorithm::Aes128,
        );
        let enc = |a| TypedKey::<PinEncrypt>::raw(&k, a).unwrap();
        let dec = |a| TypedKey::<PinDecrypt>::raw(&k, a).unwrap();
        let blk = format0_encrypt(&enc(t2), b"1234", b"4012345678909").unwrap();
        // Wrong PAN: the parse fails (fill nibbles no longer F).
        assert!(format0_decrypt(&dec(t2), &blk, b"4999999999999").is_err());
        // An AES PIN key for format 0: refused, typed.
        assert_eq!(
            format0_decrypt(&dec(a1), &blk, b"4012345678909").err(),
            Some(OpsError::WrongAlgorithm)
        );
        assert_eq!(
            format0_decrypt(&dec(t2), &blk, b"4012345678909")
                .unwrap()
                .expose(),
            b"1234"
        );
        let b4 = format4_encrypt_with_fill(&enc(a1), b"987654321012", b"4111111111111111", &[7; 8])
            .unwrap();
        assert_eq!(
            format4_decrypt(&dec(a1), &b4, b"4111111111111111")
                .unwrap()
                .expose(),
            b"987654321012"
        );
        assert_eq!(
            format4_decrypt(&dec(a1), &b4, b"4111111111111112").err(),
            Some(OpsError::BadPinBlock)
        );
    }

    /// A clear PIN field: format nibble, length nibble, then the given nibbles.
    fn field(format: u8, len: u8, nibbles: &[u8]) -> [u8; 8] {
        let mut f = [0u8; 8];
        put_nibble(&mut f, 0, format);
        put_nibble(&mut f, 1, len);
        for (i, v) in nibbles.iter().enumerate() {
            put_nibble(&mut f, 2 + i, *v);
        }
        f
    }

    #[test]
    fn parse_pin_field_each_length_and_each_rejection() {
        // Every length 4..=12 parses back to its digits.
        for n in 4..=12usize {
            let pin: std::vec::Vec<u8> = b"012345678901"[..n].to_vec();
            let mut f = [0u8; 8];
            pin_field(0, 0xF, &pin, &mut f);
            let p = parse_pin_field(0, 0xF, &f).unwrap();
            assert_eq!(p.expose(), &pin[..], "length {n}");
        }
        let digits_fill = |fill: u8| {
            let mut v = std::vec![1u8, 2, 3, 4];
            v.extend(core::iter::repeat_n(fill, 10));
            v
        };
        assert!(parse_pin_field(0, 0xF, &field(0, 4, &digits_fill(0xF))).is_some());
        // Wrong format nibble.
        assert!(parse_pin_field(0, 0xF, &field(1, 4, &digits_fill(0xF))).is_none());
        // Length 3 and 13 (outside 4..=12).
        assert!(parse_pin_field(0, 0xF, &field(0, 3, &digits_fill(0xF))).is_none());
        assert!(parse_pin_field(0, 0xF, &field(0, 13, &digits_fill(0xF))).is_none());
        // A PIN nibble above 9.
        let mut bad = digits_fill(0xF);
        bad[2] = 0xA;
        assert!(parse_pin_field(0, 0xF, &field(0, 4, &bad)).is_none());
        // A fill nibble that is not the fill value, first and last position.
        let mut bad = digits_fill(0xF);
        bad[4] = 0xE;
        assert!(parse_pin_field(0, 0xF, &field(0, 4, &bad)).is_none());
        let mut bad = digits_fill(0xF);
        bad[13] = 0x0;
        assert!(parse_pin_field(0, 0xF, &field(0, 4, &bad)).is_none());
    }
}
