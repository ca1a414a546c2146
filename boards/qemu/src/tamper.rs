//! A tamper input driven from the host: the line is high (asserted) while the file
//! `tamper` in the device directory starts with the byte `1`. The host test writes the
//! file; the firmware polls the pin like a GPIO (each poll re-reads the file).
//! A missing or unreadable file reads low (not asserted).

use core::{convert::Infallible, ffi::CStr};
use embedded_hal::digital::{ErrorType, InputPin};
use semihosting::{fs::File, io::Read};

/// Tamper input, active high.
pub struct HostTamperPin {
    path: &'static CStr,
}

impl HostTamperPin {
    /// A pin read from the host file `path`.
    pub const fn new(path: &'static CStr) -> Self {
        HostTamperPin { path }
    }

    fn level(&self) -> bool {
        let mut b = [0u8; 1];
        match File::open(self.path) {
            Ok(mut f) => f
                .read(&mut b)
                .map(|n| n == 1 && b[0] == b'1')
                .unwrap_or(false),
            Err(_) => false,
        }
    }
}

impl ErrorType for HostTamperPin {
    type Error = Infallible;
}

impl InputPin for HostTamperPin {
    fn is_high(&mut self) -> Result<bool, Infallible> {
        Ok(self.level())
    }

    fn is_low(&mut self) -> Result<bool, Infallible> {
        Ok(!self.level())
    }
}
