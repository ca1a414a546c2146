//! The manual (rustdoc only): threat model, claims and non-claims, on-flash format.
//!
//! Written alongside each capability; see the sub-sections as they land.
