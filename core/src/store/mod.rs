//! (to be written)

#[cfg(feature = "_selftest")]
pub(crate) mod selftest;
