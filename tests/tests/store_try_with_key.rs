//! `KeyStore::try_with_key`: one `?` for a fallible closure. The store's refusal and the
//! closure's own error both arrive as the caller's error type, and a success carries the
//! closure's value.
#![allow(clippy::unwrap_used)]
mod store_common;

use keyfort::attributes::{Algorithm, Usage};
use keyfort::platform::NoCounter;
use keyfort::store::mock_flash::MockFlash;
use keyfort::store::{Error, KeyHandle, KeyStore};
use store_common::*;

type Flash = MockFlash<{ 4 * 2048 }, 2048>;

#[derive(Debug, PartialEq)]
enum AppError {
    Store(Error),
    BadKey(u8),
}

impl From<Error> for AppError {
    fn from(e: Error) -> Self {
        Self::Store(e)
    }
}

/// The first key byte if it is even, else the closure's own error.
fn first_even_byte(
    s: &mut KeyStore<Flash, Dev, TestRng, NoCounter>,
    h: KeyHandle,
    need: Usage,
) -> Result<u8, AppError> {
    s.try_with_key(h, need, |k| match k[0] {
        b if b % 2 == 0 => Ok(b),
        b => Err(AppError::BadKey(b)),
    })
}

#[test]
fn store_and_closure_errors_arrive_as_one_type() {
    let mut s = KeyStore::format(Flash::new(), Dev(DEV_A), TestRng(5), NoCounter).unwrap();
    let even = s
        .import(
            1,
            b"even",
            Algorithm::Aes128,
            Usage::ENCRYPT,
            &[4; 16],
            None,
        )
        .unwrap();
    let odd = s
        .import(2, b"odd", Algorithm::Aes128, Usage::ENCRYPT, &[7; 16], None)
        .unwrap();
    assert_eq!(first_even_byte(&mut s, even, Usage::ENCRYPT), Ok(4));
    assert_eq!(
        first_even_byte(&mut s, odd, Usage::ENCRYPT),
        Err(AppError::BadKey(7)),
        "the closure's error, unchanged"
    );
    assert_eq!(
        first_even_byte(&mut s, even, Usage::EXPORT),
        Err(AppError::Store(Error::UsageDenied)),
        "the store's refusal, converted; the closure did not run"
    );
    assert_eq!(
        first_even_byte(&mut s, KeyHandle::newest(9), Usage::ENCRYPT),
        Err(AppError::Store(Error::NotFound))
    );
}
