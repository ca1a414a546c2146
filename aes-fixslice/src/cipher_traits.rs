//! The RustCrypto `cipher` 0.5 block-cipher traits, so the RustCrypto modes (`cbc`,
//! `ctr`, `cmac`, ...) run on this AES: one type per key size ([`Aes128`], [`Aes192`],
//! [`Aes256`]), because `KeyInit` fixes the key length in the type.
//!
//! ```
//! use cipher::{BlockCipherEncrypt, KeyInit};
//! use keyfort_aes::Aes128;
//!
//! // FIPS-197 Appendix C.1
//! let key: [u8; 16] = core::array::from_fn(|i| i as u8);
//! let aes = Aes128::new(&key.into());
//! let mut block = (*b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff").into();
//! aes.encrypt_block(&mut block);
//! assert_eq!(block[..4], [0x69, 0xc4, 0xe0, 0xd8]);
//! ```
//!
//! Each type wraps an [`Aes`] (the same constant-time code, round keys wiped on drop).
//! The modes get blocks two at a time ([`Aes::encrypt2`]), which costs what one block
//! costs. What the modes themselves keep (CBC's chaining value, CTR's counter and
//! keystream buffer, CMAC's subkeys) is theirs to wipe: see each crate's `zeroize`
//! support.
use crate::Aes;
use cipher::{
    consts::{U16, U2, U24, U32},
    AlgorithmName, Block, BlockCipherDecBackend, BlockCipherDecClosure, BlockCipherDecrypt,
    BlockCipherEncBackend, BlockCipherEncClosure, BlockCipherEncrypt, BlockSizeUser, InOut, Key,
    KeyInit, KeySizeUser, ParBlocks, ParBlocksSizeUser,
};
use core::fmt;

/// What the modes call: one block, or two at once.
struct Backend<'a>(&'a Aes);

impl BlockSizeUser for Backend<'_> {
    type BlockSize = U16;
}

impl ParBlocksSizeUser for Backend<'_> {
    type ParBlocksSize = U2;
}

impl BlockCipherEncBackend for Backend<'_> {
    #[inline]
    fn encrypt_block(&self, mut block: InOut<'_, '_, Block<Self>>) {
        let mut b: [u8; 16] = block.clone_in().into();
        self.0.encrypt(&mut b);
        *block.get_out() = b.into();
    }

    #[inline]
    fn encrypt_par_blocks(&self, mut blocks: InOut<'_, '_, ParBlocks<Self>>) {
        let [b0, b1]: [Block<Self>; 2] = blocks.clone_in().into();
        let (mut b0, mut b1): ([u8; 16], [u8; 16]) = (b0.into(), b1.into());
        self.0.encrypt2(&mut b0, &mut b1);
        *blocks.get_out() = [b0.into(), b1.into()].into();
    }
}

impl BlockCipherDecBackend for Backend<'_> {
    #[inline]
    fn decrypt_block(&self, mut block: InOut<'_, '_, Block<Self>>) {
        let mut b: [u8; 16] = block.clone_in().into();
        self.0.decrypt(&mut b);
        *block.get_out() = b.into();
    }

    #[inline]
    fn decrypt_par_blocks(&self, mut blocks: InOut<'_, '_, ParBlocks<Self>>) {
        let [b0, b1]: [Block<Self>; 2] = blocks.clone_in().into();
        let (mut b0, mut b1): ([u8; 16], [u8; 16]) = (b0.into(), b1.into());
        self.0.decrypt2(&mut b0, &mut b1);
        *blocks.get_out() = [b0.into(), b1.into()].into();
    }
}

macro_rules! typed_aes {
    ($name:ident, $key_size:ty, $bits:literal) => {
        #[doc = concat!(
                    "AES-", $bits, " with the RustCrypto `cipher` traits (`KeyInit`, ",
                    "`BlockCipherEncrypt`, `BlockCipherDecrypt`). Not `Copy`/`Clone`; prints only ",
                    "its name; round keys wiped on drop."
                )]
        pub struct $name(Aes);

        impl $name {
            /// The underlying [`Aes`] (one and two blocks per call, in place).
            pub fn as_aes(&self) -> &Aes {
                &self.0
            }
        }

        impl KeySizeUser for $name {
            type KeySize = $key_size;
        }

        impl KeyInit for $name {
            fn new(key: &Key<Self>) -> Self {
                // The key length is fixed by the type: always 16, 24 or 32.
                Self(Aes::expand_checked_len(key.as_slice()))
            }
        }

        impl BlockSizeUser for $name {
            type BlockSize = U16;
        }

        impl BlockCipherEncrypt for $name {
            fn encrypt_with_backend(&self, f: impl BlockCipherEncClosure<BlockSize = U16>) {
                f.call(&Backend(&self.0));
            }
        }

        impl BlockCipherDecrypt for $name {
            fn decrypt_with_backend(&self, f: impl BlockCipherDecClosure<BlockSize = U16>) {
                f.call(&Backend(&self.0));
            }
        }

        impl AlgorithmName for $name {
            fn write_alg_name(f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!("Aes", $bits))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!("Aes", $bits, " { .. }"))
            }
        }

        /// The round keys are wiped when the inner [`Aes`] drops.
        impl zeroize::ZeroizeOnDrop for $name {}
    };
}

typed_aes!(Aes128, U16, "128");
typed_aes!(Aes192, U24, "192");
typed_aes!(Aes256, U32, "256");
