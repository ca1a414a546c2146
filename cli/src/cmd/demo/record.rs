//! The terminal's transaction record (`qemu/firmware/src/bin/terminal.rs` writes it):
//! 128 bytes: `KFTX`, version 1, test card index, 2 zero bytes, KSN (12), PIN block (16),
//! message (32, ASCII), encrypted card data (32), 12 zero bytes, CMAC (16) over 0..112.

/// Length of a record.
pub const LEN: usize = 128;

/// Test cards: PAN and PIN, as in the terminal firmware (TEST data).
pub const CARDS: [(&str, &str); 3] = [
    ("4111111111111111", "1234"),
    ("5555555555554444", "4321"),
    ("378282246310005", "909090"),
];

/// One record, split into its fields (all public data).
pub struct Record<'a> {
    /// The whole record.
    pub raw: &'a [u8; LEN],
}

impl<'a> Record<'a> {
    /// Whether the fixed fields are right.
    pub fn well_formed(&self) -> bool {
        &self.raw[0..4] == b"KFTX"
            && self.raw[4] == 1
            && usize::from(self.raw[5]) < CARDS.len()
            && self.raw[6..8] == [0, 0]
            && self.raw[100..112] == [0; 12]
    }
    /// The test card index.
    pub fn card(&self) -> usize {
        usize::from(self.raw[5])
    }
    /// The KSN.
    pub fn ksn(&self) -> &'a [u8] {
        &self.raw[8..20]
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
        &self.raw[..112]
    }
    /// The MAC.
    pub fn mac(&self) -> &'a [u8] {
        &self.raw[112..]
    }
}

/// Splits a records file into complete records and the length of a torn tail.
pub fn split(bytes: &[u8]) -> (Vec<Record<'_>>, usize) {
    let mut v = Vec::new();
    let mut chunks = bytes.chunks_exact(LEN);
    for c in &mut chunks {
        if let Ok(raw) = <&[u8; LEN]>::try_from(c) {
            v.push(Record { raw });
        }
    }
    (v, chunks.remainder().len())
}
