//! keyfort's QEMU firmware: the on-target test runner (`selftest`) and the demo (`demo`).
//! Both run on every QEMU machine through `keyfort-board-qemu`; `./x test` and `./x demo`
//! build and run them.
#![no_std]

pub use keyfort_board_qemu as board;
