//! The key block header: the 16-byte fixed part and the optional blocks, parsed from and
//! written to ASCII. Parsing borrows the block; nothing is copied.
//!
//! Strict where the standard is strict (digits where digits belong, printable ASCII,
//! optional blocks that add up exactly, the declared count of optional blocks), lenient
//! where real blocks differ: optional block data is opaque (any printable ASCII), the
//! reserved bytes may carry the X9.143 key context digit, extended optional-block lengths
//! (`00` + length-of-length) are read.
use super::error::{HeaderField, Tr31Error};

/// Length of the fixed header.
pub const FIXED_LEN: usize = 16;
/// Largest key block length the 4-digit length field can state.
pub const MAX_BLOCK_LEN: usize = 9999;

/// A key block version (byte 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Version {
    /// `A`: TDES, key variant binding (deprecated; opt-in only).
    A,
    /// `B`: TDES, CMAC key derivation binding.
    B,
    /// `C`: TDES, key variant binding like A (deprecated; opt-in only).
    C,
    /// `D`: AES, CMAC key derivation binding, CBC.
    D,
    /// `E`: AES, ISO 20038 with CTR encryption.
    E,
}

impl Version {
    /// The id character.
    pub const fn id(self) -> u8 {
        match self {
            Self::A => b'A',
            Self::B => b'B',
            Self::C => b'C',
            Self::D => b'D',
            Self::E => b'E',
        }
    }
    fn from_id(c: u8) -> Option<Self> {
        Some(match c {
            b'A' => Self::A,
            b'B' => Self::B,
            b'C' => Self::C,
            b'D' => Self::D,
            b'E' => Self::E,
            _ => return None,
        })
    }
    /// The cipher block size of the version (8 for TDES, 16 for AES).
    pub const fn block_size(self) -> usize {
        match self {
            Self::A | Self::B | Self::C => 8,
            Self::D | Self::E => 16,
        }
    }
    /// The MAC length in bytes.
    pub const fn mac_len(self) -> usize {
        match self {
            Self::A | Self::C => 4,
            Self::B => 8,
            Self::D | Self::E => 16,
        }
    }
}

/// One optional block: a two-character id and its data (opaque printable ASCII).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptBlock<'a> {
    /// The id, e.g. `KS`, `KC`, `KP`, `PB`, `HM`.
    pub id: [u8; 2],
    /// The data, without id and length fields.
    pub data: &'a [u8],
}

/// A parsed header, borrowing the key block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header<'a> {
    /// Byte 0.
    pub version: Version,
    /// Bytes 1-4: the whole block's length in characters.
    pub length: u16,
    /// Bytes 5-6, e.g. `B1`, `P0`.
    pub key_usage: [u8; 2],
    /// Byte 7, e.g. `A` (AES), `T` (TDES), `H` (HMAC).
    pub algorithm: u8,
    /// Byte 8, e.g. `E`, `D`, `B`, `G`, `V`, `C`, `X`, `N`.
    pub mode_of_use: u8,
    /// Bytes 9-10 (`00` for none; `c` + digit marks a key component).
    pub key_version: [u8; 2],
    /// Byte 11: `E` exportable, `N` non-exportable, `S` sensitive.
    pub exportability: u8,
    /// Bytes 12-13.
    pub num_opt_blocks: u8,
    /// Bytes 14-15 (X9.143: key context digit, then `0`).
    pub reserved: [u8; 2],
    opt: &'a [u8],
    raw: &'a [u8],
}

fn dec_digit(c: u8) -> Option<u8> {
    c.is_ascii_digit().then(|| c - b'0')
}

fn upper_alnum(c: u8) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit()
}

fn printable(c: u8) -> bool {
    (0x20..=0x7E).contains(&c)
}

/// Reads `digits` hex digits as a number.
fn hex_num(s: &[u8]) -> Option<usize> {
    let mut n = 0usize;
    for &c in s {
        n = n
            .checked_mul(16)?
            .checked_add(usize::from(crate::hex::digit(c)?))?;
    }
    Some(n)
}

/// Splits one optional block off the front of `s`: (block, rest).
fn split_opt(s: &[u8]) -> Result<(OptBlock<'_>, &[u8]), Tr31Error> {
    let bad = Tr31Error::BadOptionalBlock;
    let id = s.get(..2).ok_or(bad)?;
    let (i0, i1) = (id[0], id[1]);
    if !upper_alnum(i0) || !(upper_alnum(i1) || i1.is_ascii_lowercase()) {
        return Err(bad);
    }
    let len = hex_num(s.get(2..4).ok_or(bad)?).ok_or(bad)?;
    let (total, data_start) = if len == 0 {
        // Extended length: 2 hex digits give the length of the length, then the length.
        let ll = hex_num(s.get(4..6).ok_or(bad)?).ok_or(bad)?;
        if ll == 0 {
            return Err(bad);
        }
        let end = 6usize.checked_add(ll).ok_or(bad)?;
        let total = hex_num(s.get(6..end).ok_or(bad)?).ok_or(bad)?;
        (total, end)
    } else {
        (len, 4)
    };
    if total < data_start {
        return Err(bad);
    }
    let data = s.get(data_start..total).ok_or(bad)?;
    if !data.iter().all(|&c| printable(c)) {
        return Err(bad);
    }
    Ok((OptBlock { id: [i0, i1], data }, s.get(total..).ok_or(bad)?))
}

/// Iterator over a header's optional blocks (already validated at parse time).
#[derive(Clone, Debug)]
pub struct OptBlocks<'a> {
    rest: &'a [u8],
    left: u8,
}

impl<'a> Iterator for OptBlocks<'a> {
    type Item = OptBlock<'a>;
    fn next(&mut self) -> Option<OptBlock<'a>> {
        if self.left == 0 {
            return None;
        }
        let (b, rest) = split_opt(self.rest).ok()?;
        self.rest = rest;
        self.left -= 1;
        Some(b)
    }
}

impl<'a> Header<'a> {
    /// Parses the header at the front of `block` and checks the length field against
    /// `block.len()`. Returns the header; its [`Header::len`] says where the key data
    /// starts.
    pub fn parse(block: &'a [u8]) -> Result<Self, Tr31Error> {
        let v = block.first().copied().ok_or(Tr31Error::Truncated)?;
        let version = Version::from_id(v).ok_or(Tr31Error::UnsupportedVersion)?;
        let len_field = block.get(1..5).ok_or(Tr31Error::Truncated)?;
        let mut length = 0u16;
        for &c in len_field {
            length = length * 10 + u16::from(dec_digit(c).ok_or(Tr31Error::Truncated)?);
        }
        if usize::from(length) != block.len() {
            return Err(Tr31Error::LengthMismatch);
        }
        let fixed = block.get(..FIXED_LEN).ok_or(Tr31Error::Truncated)?;
        let f = |i: usize| fixed.get(i).copied().unwrap_or(0);
        let key_usage = [f(5), f(6)];
        if !key_usage.iter().all(|&c| upper_alnum(c)) {
            return Err(Tr31Error::BadHeader(HeaderField::KeyUsage));
        }
        if !upper_alnum(f(7)) {
            return Err(Tr31Error::BadHeader(HeaderField::Algorithm));
        }
        if !upper_alnum(f(8)) {
            return Err(Tr31Error::BadHeader(HeaderField::ModeOfUse));
        }
        let key_version = [f(9), f(10)];
        if !key_version.iter().all(|&c| c.is_ascii_alphanumeric()) {
            return Err(Tr31Error::BadHeader(HeaderField::KeyVersion));
        }
        if !upper_alnum(f(11)) {
            return Err(Tr31Error::BadHeader(HeaderField::Exportability));
        }
        let n = match (dec_digit(f(12)), dec_digit(f(13))) {
            (Some(a), Some(b)) => a * 10 + b,
            _ => return Err(Tr31Error::BadHeader(HeaderField::NumOptionalBlocks)),
        };
        let reserved = [f(14), f(15)];
        if !reserved.iter().all(|&c| c.is_ascii_digit()) {
            return Err(Tr31Error::BadHeader(HeaderField::Reserved));
        }
        let after = block.get(FIXED_LEN..).ok_or(Tr31Error::Truncated)?;
        let mut rest = after;
        for _ in 0..n {
            let (_, r) = split_opt(rest)?;
            rest = r;
        }
        let opt_len = after.len() - rest.len();
        let hlen = FIXED_LEN + opt_len;
        Ok(Self {
            version,
            length,
            key_usage,
            algorithm: f(7),
            mode_of_use: f(8),
            key_version,
            exportability: f(11),
            num_opt_blocks: n,
            reserved,
            opt: after.get(..opt_len).unwrap_or(&[]),
            raw: block.get(..hlen).unwrap_or(&[]),
        })
    }

    /// The header's length in characters (fixed part and optional blocks).
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.raw.len()
    }

    /// The header as it appears in the block (what the MAC covers).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.raw
    }

    /// The optional blocks, in order.
    pub fn opt_blocks(&self) -> OptBlocks<'a> {
        OptBlocks {
            rest: self.opt,
            left: self.num_opt_blocks,
        }
    }

    /// The first optional block with `id`.
    pub fn opt_block(&self, id: &[u8; 2]) -> Option<OptBlock<'a>> {
        self.opt_blocks().find(|b| &b.id == id)
    }

    /// The key usage as text.
    pub fn key_usage_str(&self) -> &str {
        core::str::from_utf8(&self.key_usage).unwrap_or("??")
    }

    /// Whether the key version field marks a key component (`c` + digit).
    pub fn is_component(&self) -> bool {
        self.key_version[0] == b'c'
    }
}

/// The fixed header fields a caller chooses for an exported block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderSpec {
    /// Key usage, e.g. `*b"B1"`.
    pub key_usage: [u8; 2],
    /// Algorithm, e.g. `b'A'`.
    pub algorithm: u8,
    /// Mode of use, e.g. `b'X'`.
    pub mode_of_use: u8,
    /// Key version, `*b"00"` for none.
    pub key_version: [u8; 2],
    /// Exportability: `b'E'`, `b'N'` or `b'S'`.
    pub exportability: u8,
}

impl HeaderSpec {
    /// Checks the fields hold what a header may hold.
    pub fn validate(&self) -> Result<(), Tr31Error> {
        if !self.key_usage.iter().all(|&c| upper_alnum(c)) {
            return Err(Tr31Error::BadHeader(HeaderField::KeyUsage));
        }
        if !upper_alnum(self.algorithm) {
            return Err(Tr31Error::BadHeader(HeaderField::Algorithm));
        }
        if !upper_alnum(self.mode_of_use) {
            return Err(Tr31Error::BadHeader(HeaderField::ModeOfUse));
        }
        if !self.key_version.iter().all(|&c| c.is_ascii_alphanumeric()) {
            return Err(Tr31Error::BadHeader(HeaderField::KeyVersion));
        }
        if !matches!(self.exportability, b'E' | b'N' | b'S') {
            return Err(Tr31Error::BadHeader(HeaderField::Exportability));
        }
        Ok(())
    }
}

/// A small writer over a caller's buffer.
pub(crate) struct Out<'b> {
    pub(crate) buf: &'b mut [u8],
    pub(crate) pos: usize,
}

impl Out<'_> {
    pub(crate) fn put(&mut self, s: &[u8]) -> Result<(), Tr31Error> {
        let end = self
            .pos
            .checked_add(s.len())
            .ok_or(Tr31Error::OutputTooSmall)?;
        self.buf
            .get_mut(self.pos..end)
            .ok_or(Tr31Error::OutputTooSmall)?
            .copy_from_slice(s);
        self.pos = end;
        Ok(())
    }
    pub(crate) fn put_dec(&mut self, v: usize, digits: usize) -> Result<(), Tr31Error> {
        let mut tmp = [b'0'; 4];
        let mut x = v;
        for i in (0..digits.min(4)).rev() {
            tmp[i] = b'0' + u8::try_from(x.rem_euclid(10)).unwrap_or(0);
            x = x.div_euclid(10);
        }
        self.put(tmp.get(..digits.min(4)).unwrap_or(&[]))
    }
    pub(crate) fn put_hex(&mut self, bytes: &[u8]) -> Result<(), Tr31Error> {
        for &b in bytes {
            // No table lookup on possibly secret data: arithmetic only.
            self.put(&crate::hex::byte_chars(b))?;
        }
        Ok(())
    }
}

/// Writes the header for `spec` with `opt` optional blocks (a PB padding block is added
/// when needed to make the header a multiple of `align`), with `total_len` as the length
/// field. Returns the header length.
pub(crate) fn write_header(
    out: &mut Out<'_>,
    version: Version,
    spec: &HeaderSpec,
    opt: &[OptBlock<'_>],
    total_len: usize,
) -> Result<usize, Tr31Error> {
    let start = out.pos;
    let pb = pb_len(opt, version.block_size())?;
    let n = opt.len() + usize::from(pb > 0);
    if n > 99 || total_len > MAX_BLOCK_LEN {
        return Err(Tr31Error::HeaderTooLong);
    }
    out.put(&[version.id()])?;
    out.put_dec(total_len, 4)?;
    out.put(&spec.key_usage)?;
    out.put(&[spec.algorithm, spec.mode_of_use])?;
    out.put(&spec.key_version)?;
    out.put(&[spec.exportability])?;
    out.put_dec(n, 2)?;
    out.put(b"00")?;
    for b in opt {
        let len = b.data.len() + 4;
        if len > 0xFF {
            // Extended length: "00" + "04" + 4 hex digits.
            let len = b.data.len() + 10;
            if len > 0xFFFF {
                return Err(Tr31Error::HeaderTooLong);
            }
            out.put(&b.id)?;
            out.put(b"0004")?;
            out.put_hex(&u16::try_from(len).unwrap_or(0).to_be_bytes())?;
        } else {
            out.put(&b.id)?;
            out.put_hex(&[u8::try_from(len).unwrap_or(0)])?;
        }
        out.put(b.data)?;
    }
    if pb > 0 {
        out.put(b"PB")?;
        out.put_hex(&[u8::try_from(pb).unwrap_or(0)])?;
        for _ in 4..pb {
            out.put(b"0")?;
        }
    }
    Ok(out.pos - start)
}

/// Length of each optional block as written.
fn opt_written_len(b: &OptBlock<'_>) -> usize {
    if b.data.len() + 4 > 0xFF {
        b.data.len() + 10
    } else {
        b.data.len() + 4
    }
}

/// The PB block length needed to align the header (0 if none).
fn pb_len(opt: &[OptBlock<'_>], align: usize) -> Result<usize, Tr31Error> {
    if opt.is_empty() {
        return Ok(0);
    }
    for b in opt {
        if !b.data.iter().all(|&c| printable(c))
            || !b.id.iter().all(|&c| upper_alnum(c))
            || &b.id == b"PB"
        {
            return Err(Tr31Error::BadOptionalBlock);
        }
    }
    let len: usize = FIXED_LEN + opt.iter().map(opt_written_len).sum::<usize>();
    let rem = len & (align - 1);
    if rem == 0 {
        return Ok(0);
    }
    let mut pb = align - rem;
    if pb < 4 {
        pb += align;
    }
    Ok(pb)
}

/// The header length [`write_header`] will produce.
pub(crate) fn header_len(opt: &[OptBlock<'_>], align: usize) -> Result<usize, Tr31Error> {
    Ok(FIXED_LEN + opt.iter().map(opt_written_len).sum::<usize>() + pb_len(opt, align)?)
}
