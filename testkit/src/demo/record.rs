//! The demo terminal's transaction record: 128 bytes of public data the terminal appends
//! to [`super::files::RECORDS`] and `keyfort demo verify` checks.
//!
//! | bytes | field |
//! |---|---|
//! | 0..4 | [`MAGIC`] `KFTX` |
//! | 4 | [`VERSION`] 1 |
//! | 5 | test card index ([`CARDS`]) |
//! | 6..8 | zero |
//! | 8..20 | KSN (AES DUKPT: initial key ID, counter) |
//! | 20..36 | PIN block (ISO 9564 format 4) under the PIN key |
//! | 36..68 | message (ASCII: amount and trace number, [`message`]) |
//! | 68..100 | card data ([`card_data`]) AES-CBC encrypted (zero IV) under the data key |
//! | 100..112 | zero |
//! | 112..128 | AES-CMAC over bytes 0..112 under the MAC key |
//!
//! The keys are the transaction's [`super::factory::TRANSACTION_KEYS`]; each is new per
//! transaction, so a zero IV is safe. [`build`] makes a record for a terminal, with the
//! crypto done by whoever holds the keys ([`TransactionCrypto`]); [`Record`] reads one.

/// Length of a record.
pub const LEN: usize = 128;
/// The record's first bytes.
pub const MAGIC: &[u8; 4] = b"KFTX";
/// The record's version byte.
pub const VERSION: u8 = 1;
/// What the MAC covers: bytes `0..MACED`.
pub const MACED: usize = 112;

/// A test card (TEST data, public).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Card {
    /// The card number.
    pub pan: &'static str,
    /// The PIN.
    pub pin: &'static str,
}

/// The test cards; a transaction uses card `counter % 3`.
pub const CARDS: [Card; 3] = [
    Card {
        pan: "4111111111111111",
        pin: "1234",
    },
    Card {
        pan: "5555555555554444",
        pin: "4321",
    },
    Card {
        pan: "378282246310005",
        pin: "909090",
    },
];

/// The card data of `pan` (track-2 style), before encryption: the PAN, `=2812101`, zero
/// padding to 32 bytes.
pub fn card_data(pan: &[u8]) -> [u8; 32] {
    const SUFFIX: &[u8] = b"=2812101";
    let mut card = [0u8; 32];
    let n = pan.len().min(32 - SUFFIX.len());
    card[..n].copy_from_slice(&pan[..n]);
    card[n..n + SUFFIX.len()].copy_from_slice(SUFFIX);
    card
}

/// The message of the transaction with KSN counter `counter`: an amount derived from the
/// counter and the trace number (the counter), `AMT=000554.33 EUR STAN=000007   `.
pub fn message(counter: u32) -> [u8; 32] {
    let mut msg = *b"AMT=000000.00 EUR STAN=000000   ";
    let cents = counter.wrapping_mul(7919) % 100_000;
    ascii_u32(cents / 100, &mut msg[4..10]);
    ascii_u32(cents % 100, &mut msg[11..13]);
    ascii_u32(counter, &mut msg[23..29]);
    msg
}

/// Writes the last `out.len()` decimal digits of `v` into `out`.
fn ascii_u32(mut v: u32, out: &mut [u8]) {
    for c in out.iter_mut().rev() {
        *c = b'0' + u8::try_from(v % 10).unwrap_or(0);
        v /= 10;
    }
}

/// The crypto of one transaction, done by whoever holds its keys (the terminal with its
/// DUKPT transaction's working keys; the TrustZone terminal through Secure calls).
pub trait TransactionCrypto {
    /// Why an operation failed.
    type Error;
    /// The ISO 9564 format 4 PIN block of `pin` for `pan` under the PIN key.
    fn pin_block(&mut self, pin: &[u8], pan: &[u8]) -> Result<[u8; 16], Self::Error>;
    /// Encrypts `card` in place: AES-CBC, zero IV, under the data key.
    fn encrypt_card(&mut self, card: &mut [u8; 32]) -> Result<(), Self::Error>;
    /// The AES-CMAC of `maced` under the MAC key.
    fn mac(&mut self, maced: &[u8]) -> Result<[u8; 16], Self::Error>;
}

/// The record of the transaction with KSN `ksn`: its card is `CARDS[counter % 3]`.
pub fn build<T: TransactionCrypto>(ksn: &[u8; 12], crypto: &mut T) -> Result<[u8; LEN], T::Error> {
    let counter = u32::from_be_bytes([ksn[8], ksn[9], ksn[10], ksn[11]]);
    let index = counter % 3;
    let card = CARDS[index as usize];
    let mut r = [0u8; LEN];
    r[0..4].copy_from_slice(MAGIC);
    r[4] = VERSION;
    r[5] = u8::try_from(index).unwrap_or(0);
    r[8..20].copy_from_slice(ksn);
    r[20..36].copy_from_slice(&crypto.pin_block(card.pin.as_bytes(), card.pan.as_bytes())?);
    r[36..68].copy_from_slice(&message(counter));
    let mut data = card_data(card.pan.as_bytes());
    crypto.encrypt_card(&mut data)?;
    r[68..100].copy_from_slice(&data);
    let tag = crypto.mac(&r[..MACED])?;
    r[MACED..].copy_from_slice(&tag);
    Ok(r)
}

/// One record, read field by field (all public data).
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    /// The whole record.
    pub raw: &'a [u8; LEN],
}

impl<'a> Record<'a> {
    /// Whether the fixed fields are right.
    pub fn well_formed(&self) -> bool {
        &self.raw[0..4] == MAGIC
            && self.raw[4] == VERSION
            && usize::from(self.raw[5]) < CARDS.len()
            && self.raw[6..8] == [0, 0]
            && self.raw[100..MACED] == [0; 12]
    }
    /// The test card index (check [`Record::well_formed`] first).
    pub fn card(&self) -> usize {
        usize::from(self.raw[5])
    }
    /// The KSN.
    pub fn ksn(&self) -> &'a [u8] {
        &self.raw[8..20]
    }
    /// The KSN's counter.
    pub fn counter(&self) -> u32 {
        u32::from_be_bytes([self.raw[16], self.raw[17], self.raw[18], self.raw[19]])
    }
    /// The encrypted PIN block.
    pub fn pin_block(&self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b.copy_from_slice(&self.raw[20..36]);
        b
    }
    /// The message.
    pub fn message(&self) -> &'a [u8] {
        &self.raw[36..68]
    }
    /// The encrypted card data.
    pub fn card_data(&self) -> [u8; 32] {
        let mut b = [0u8; 32];
        b.copy_from_slice(&self.raw[68..100]);
        b
    }
    /// What the MAC covers.
    pub fn maced(&self) -> &'a [u8] {
        &self.raw[..MACED]
    }
    /// The MAC.
    pub fn mac(&self) -> &'a [u8] {
        &self.raw[MACED..]
    }
}

/// The complete records of a records file, and the length of a torn tail (a record
/// the power cut while it was written).
pub fn split(bytes: &[u8]) -> (impl Iterator<Item = Record<'_>>, usize) {
    let chunks = bytes.chunks_exact(LEN);
    let torn = chunks.remainder().len();
    (
        chunks.filter_map(|c| <&[u8; LEN]>::try_from(c).ok().map(|raw| Record { raw })),
        torn,
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Records what it was asked and answers with markers.
    struct Seen {
        pin: [u8; 8],
        card: [u8; 32],
        maced: [u8; MACED],
    }

    impl Seen {
        fn new() -> Self {
            Self {
                pin: [0; 8],
                card: [0; 32],
                maced: [0; MACED],
            }
        }
    }

    impl TransactionCrypto for Seen {
        type Error = ();
        fn pin_block(&mut self, pin: &[u8], pan: &[u8]) -> Result<[u8; 16], ()> {
            self.pin[..pin.len()].copy_from_slice(pin);
            assert!(pan.len() >= 15);
            Ok([0xB0; 16])
        }
        fn encrypt_card(&mut self, card: &mut [u8; 32]) -> Result<(), ()> {
            self.card = *card;
            for b in card.iter_mut() {
                *b ^= 0xCC;
            }
            Ok(())
        }
        fn mac(&mut self, maced: &[u8]) -> Result<[u8; 16], ()> {
            self.maced.copy_from_slice(maced);
            Ok([0x3A; 16])
        }
    }

    #[test]
    fn build_lays_out_the_fields_and_record_reads_them_back() {
        let mut ksn = [0xA1u8; 12];
        ksn[8..].copy_from_slice(&0x0001_0005u32.to_be_bytes()); // counter 65541: card 0
        let mut c = Seen::new();
        let raw = build(&ksn, &mut c).unwrap();
        let r = Record { raw: &raw };
        assert!(r.well_formed());
        assert_eq!(r.counter(), 65541);
        assert_eq!(r.card(), 65541 % 3);
        let card = CARDS[r.card()];
        assert_eq!(&c.pin[..card.pin.len()], card.pin.as_bytes());
        assert_eq!(r.ksn(), &ksn);
        assert_eq!(r.pin_block(), [0xB0; 16]);
        assert_eq!(r.message(), b"AMT=000191.79 EUR STAN=065541   ");
        // The card data encrypted is the card's, and the MAC covers the finished 0..112.
        assert_eq!(c.card, card_data(card.pan.as_bytes()));
        assert_eq!(&c.card[..card.pan.len()], card.pan.as_bytes());
        assert_eq!(r.card_data().map(|b| b ^ 0xCC), c.card);
        assert_eq!(&c.maced[..], r.maced());
        assert_eq!(r.mac(), &[0x3A; 16]);
    }

    #[test]
    fn malformed_records_and_torn_tails_are_told() {
        let raw = build(&[0; 12], &mut Seen::new()).unwrap();
        // Negative controls: each fixed field changed is caught.
        for at in [0usize, 4, 5, 6, 100, 111] {
            let mut bad = raw;
            bad[at] = bad[at].wrapping_add(7);
            assert!(!Record { raw: &bad }.well_formed(), "byte {at}");
        }
        let mut file = raw.to_vec();
        file.extend_from_slice(&raw);
        file.extend_from_slice(&raw[..50]);
        let (recs, torn) = split(&file);
        assert_eq!((recs.count(), torn), (2, 50));
    }
}
