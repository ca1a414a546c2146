//! SP 800-90B health tests and the seeded CSPRNG: stuck and biased synthetic sources must
//! trip them (typed errors, no panic); a good source must not.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::integer_division_remainder_used
)]
use core::convert::Infallible;

use keyfort::rng::{Csprng, HealthTest, HealthTestedSource, MinEntropy, RngError};
use rand_core::{Rng, TryCryptoRng, TryRng};

/// A synthetic source producing bytes from a closure over the sample index.
struct Synth<F: FnMut(u64) -> u8> {
    f: F,
    i: u64,
}
impl<F: FnMut(u64) -> u8> Synth<F> {
    fn new(f: F) -> Self {
        Self { f, i: 0 }
    }
}
impl<F: FnMut(u64) -> u8> TryRng for Synth<F> {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for d in dst {
            *d = (self.f)(self.i);
            self.i += 1;
        }
        Ok(())
    }
}
impl<F: FnMut(u64) -> u8> TryCryptoRng for Synth<F> {}

/// SplitMix64 as a stand-in for a good physical source (full entropy per byte for the
/// purpose of the health tests).
fn good() -> Synth<impl FnMut(u64) -> u8> {
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    Synth::new(move |_| {
        s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) as u8
    })
}

#[derive(Debug)]
struct Broken;
#[derive(Debug)]
struct BrokenErr;
impl core::fmt::Display for BrokenErr {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("broken")
    }
}
impl core::error::Error for BrokenErr {}
impl TryRng for Broken {
    type Error = BrokenErr;
    fn try_next_u32(&mut self) -> Result<u32, BrokenErr> {
        Err(BrokenErr)
    }
    fn try_next_u64(&mut self) -> Result<u64, BrokenErr> {
        Err(BrokenErr)
    }
    fn try_fill_bytes(&mut self, _: &mut [u8]) -> Result<(), BrokenErr> {
        Err(BrokenErr)
    }
}
impl TryCryptoRng for Broken {}

const ALL_H: [MinEntropy; 4] = [
    MinEntropy::Bits1,
    MinEntropy::Bits2,
    MinEntropy::Bits4,
    MinEntropy::Bits8,
];

#[test]
fn good_source_passes_at_every_assessment() {
    for h in ALL_H {
        let mut s = HealthTestedSource::new(good(), h);
        let mut buf = [0u8; 4096];
        for _ in 0..64 {
            s.fill(&mut buf)
                .unwrap_or_else(|e| panic!("H={}: {e}", h.bits()));
        }
        let mut rng = Csprng::new(good(), h, b"keyfort test").unwrap();
        let mut k = [0u8; 32];
        rng.try_generate(&mut k, b"").unwrap();
        assert_ne!(k, [0u8; 32]);
    }
}

#[test]
fn stuck_source_trips_repetition_count_in_startup() {
    for h in ALL_H {
        let e = Csprng::new(Synth::new(|_| 0xA5), h, b"").err();
        assert_eq!(
            e,
            Some(RngError::HealthTestFailed(HealthTest::RepetitionCount)),
            "H={}",
            h.bits()
        );
    }
}

#[test]
fn repetition_count_cutoff_is_exact() {
    // C - 1 repeats pass; the C-th identical sample in a row fails.
    for h in ALL_H {
        let c = u64::from(h.rct_cutoff());
        let mut t = keyfort::rng::HealthTests::new(h);
        for i in 0..c - 1 {
            assert!(t.feed(7).is_ok(), "H={} sample {i}", h.bits());
        }
        assert_eq!(t.feed(7), Err(HealthTest::RepetitionCount));
        assert_eq!(t.feed(8), Err(HealthTest::RepetitionCount), "sticky");
        t.reset();
        assert!(t.feed(7).is_ok());
    }
}

#[test]
fn biased_source_trips_adaptive_proportion() {
    // Two zeros then a fresh non-zero value: no run longer than 2 (the repetition count
    // test cannot see it) but 2/3 of every window is 0, above the H = 1 cut-off 325/512.
    let biased = || Synth::new(|i| if i % 3 == 2 { 1 + (i % 251) as u8 } else { 0 });
    let e = Csprng::new(biased(), MinEntropy::Bits1, b"").err();
    assert_eq!(
        e,
        Some(RngError::HealthTestFailed(HealthTest::AdaptiveProportion))
    );
    // A source with only 4 bits per byte (values 0..15, uniform-looking) passes at H = 4
    // but trips the H = 8 cut-off (17 of 512; expected count about 32).
    let mut g = good();
    let nibbles = Synth::new(move |i| (g.f)(i) & 0x0F);
    let e = Csprng::new(nibbles, MinEntropy::Bits8, b"").err();
    assert_eq!(
        e,
        Some(RngError::HealthTestFailed(HealthTest::AdaptiveProportion))
    );
    let mut g = good();
    let nibbles = Synth::new(move |i| (g.f)(i) & 0x0F);
    assert!(Csprng::new(nibbles, MinEntropy::Bits4, b"").is_ok());
}

#[test]
fn source_error_is_typed() {
    assert_eq!(
        Csprng::new(Broken, MinEntropy::Bits8, b"").err(),
        Some(RngError::SourceFailed)
    );
}

#[test]
fn source_failing_later_fails_strict_path_and_latches_infallible_path() {
    // Good for the start-up test and the seed, then stuck.
    let mut g = good();
    let limit = 1024 + 384 + 10;
    let src = Synth::new(move |i| if i < limit { (g.f)(i) } else { 0 });
    let mut rng = Csprng::new(src, MinEntropy::Bits1, b"").unwrap();
    rng.set_reseed_interval(2);
    let mut out = [0u8; 16];
    rng.try_generate(&mut out, b"").unwrap();
    rng.try_generate(&mut out, b"").unwrap();
    out = [0xFF; 16];
    assert_eq!(
        rng.try_generate(&mut out, b""),
        Err(RngError::HealthTestFailed(HealthTest::RepetitionCount))
    );
    assert_eq!(out, [0u8; 16], "no output on failure");
    assert!(rng.status().is_ok());
    // The infallible path keeps going from the tested seed and latches the failure.
    let a = rng.next_u64();
    let b = rng.next_u64();
    assert_ne!(a, b);
    assert_eq!(
        rng.status(),
        Err(RngError::HealthTestFailed(HealthTest::RepetitionCount))
    );
}

#[test]
fn reseed_happens_at_interval() {
    let mut rng = Csprng::new(good(), MinEntropy::Bits8, b"").unwrap();
    rng.set_reseed_interval(3);
    let mut out = [0u8; 8];
    for _ in 0..3 {
        rng.try_generate(&mut out, b"").unwrap();
    }
    assert_eq!(rng.reseed_counter(), 4);
    rng.try_generate(&mut out, b"").unwrap();
    assert_eq!(rng.reseed_counter(), 2, "reseeded before the 4th request");
}

/// A source that buffers raw samples and prints them in its `Debug`.
#[derive(Debug)]
struct Buffered {
    pending: [u8; 4],
}
impl TryRng for Buffered {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(u32::from_le_bytes(self.pending))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(u64::from(u32::from_le_bytes(self.pending)))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for (d, p) in dst.iter_mut().zip(self.pending.iter().cycle()) {
            *d = *p;
        }
        Ok(())
    }
}
impl TryCryptoRng for Buffered {}

#[test]
fn debug_does_not_print_the_source() {
    let src = Buffered {
        pending: [0xDE, 0xAD, 0xBE, 0xEF],
    };
    assert!(format!("{src:?}").contains("222, 173, 190, 239"));
    let h = HealthTestedSource::new(src, MinEntropy::Bits8);
    let d = format!("{h:?}");
    assert!(d.starts_with("HealthTestedSource"), "{d}");
    assert!(!d.contains("pending") && !d.contains("222"), "{d}");
}
