//! Logging through `defmt`, or through nothing.
//!
//! This is the only place keyfort logs from. The macros take only a format literal and
//! arguments the caller names explicitly; keyfort never passes a key, a key schedule, a
//! register or any buffer that held plaintext. Secret types implement neither `Debug` with
//! content nor `defmt::Format`, so passing one here does not compile.
#![allow(unused_macros)]

#[cfg(feature = "defmt")]
macro_rules! kf_info {
    ($($t:tt)*) => { ::defmt::info!($($t)*) };
}
#[cfg(not(feature = "defmt"))]
macro_rules! kf_info {
    ($s:literal $(, $x:expr)* $(,)?) => {{ $( let _ = &$x; )* }};
}

#[cfg(feature = "defmt")]
macro_rules! kf_warn {
    ($($t:tt)*) => { ::defmt::warn!($($t)*) };
}
#[cfg(not(feature = "defmt"))]
macro_rules! kf_warn {
    ($s:literal $(, $x:expr)* $(,)?) => {{ $( let _ = &$x; )* }};
}

#[cfg(feature = "defmt")]
macro_rules! kf_debug {
    ($($t:tt)*) => { ::defmt::debug!($($t)*) };
}
#[cfg(not(feature = "defmt"))]
macro_rules! kf_debug {
    ($s:literal $(, $x:expr)* $(,)?) => {{ $( let _ = &$x; )* }};
}
