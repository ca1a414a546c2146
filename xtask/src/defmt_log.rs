//! Decoding the firmware's defmt frames (QEMU's semihosting console) into plain text,
//! with the `defmt-decoder` crate reading the format strings from the firmware's ELF.
use defmt_decoder::{DecodeError, Frame, Table};
use std::path::Path;

/// The defmt table of the firmware at `elf`.
pub fn load_table(elf: &Path) -> Result<Table, String> {
    let bytes = std::fs::read(elf).map_err(|e| format!("cannot read {}: {e}", elf.display()))?;
    match Table::parse(&bytes) {
        Ok(Some(t)) => Ok(t),
        Ok(None) => Err(format!("{} has no defmt data", elf.display())),
        Err(e) => Err(format!("{}: bad defmt data: {e}", elf.display())),
    }
}

/// One frame as a line of text: `LEVEL message`, or just the message for `println!`.
pub fn frame_text(f: &Frame<'_>) -> String {
    match f.level() {
        Some(l) => format!("{:<5} {}", l.as_str().to_uppercase(), f.display_message()),
        None => f.display_message().to_string(),
    }
}

/// Feeds `bytes` to `dec` and returns the complete frames' lines; a malformed frame
/// becomes a marker line (the stream decoder resynchronises on the next frame).
pub fn decode_lines(dec: &mut dyn defmt_decoder::StreamDecoder, bytes: &[u8]) -> Vec<String> {
    dec.received(bytes);
    let mut lines = Vec::new();
    loop {
        match dec.decode() {
            Ok(f) => lines.push(frame_text(&f)),
            Err(DecodeError::UnexpectedEof) => break,
            Err(DecodeError::Malformed) => lines.push("<malformed defmt frame>".into()),
        }
    }
    lines
}
