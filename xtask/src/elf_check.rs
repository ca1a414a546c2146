//! Refuses an ELF that is not a linked Cortex-M image before QEMU gets it. Linked without
//! cortex-m-rt's `link.x`, a firmware keeps no vector table and no code (a few bytes),
//! and QEMU would "run" it without a word; this says what went wrong instead.
use object::{Object, ObjectSection, ObjectSegment};
use std::path::Path;

/// Ok if `elf` is a 32-bit Arm ELF with a vector table whose reset vector points at
/// Thumb code.
pub fn linked_image(elf: &Path) -> Result<(), String> {
    let bytes = std::fs::read(elf).map_err(|e| format!("cannot read {}: {e}", elf.display()))?;
    let file = object::File::parse(&*bytes)
        .map_err(|e| format!("{} is not an ELF file: {e}", elf.display()))?;
    if file.architecture() != object::Architecture::Arm {
        return Err(format!(
            "{} is built for {:?}, not a Cortex-M: build with `--target thumbv...` from the \
             firmware's directory (its .cargo/config.toml)",
            elf.display(),
            file.architecture()
        ));
    }
    let vectors = file
        .section_by_name(".vector_table")
        .and_then(|s| s.data().ok())
        .unwrap_or(&[]);
    let reset = vectors
        .get(4..8)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    match reset {
        Some(r) if r & 1 == 1 => Ok(()),
        _ => Err(format!(
            "{} has no vector table with a reset vector: was it linked without \
             cortex-m-rt's linker script? Add `-C link-arg=-Tlink.x` (and `-Tdefmt.x`) to \
             its rustflags, see templates/firmware/.cargo/config.toml",
            elf.display()
        )),
    }
}

/// Bytes the image would put into the target's memory (its loadable segments' file data).
pub fn loaded_bytes(elf: &Path) -> Result<u64, String> {
    let bytes = std::fs::read(elf).map_err(|e| format!("cannot read {}: {e}", elf.display()))?;
    let file = object::File::parse(&*bytes)
        .map_err(|e| format!("{} is not an ELF file: {e}", elf.display()))?;
    Ok(file.segments().map(|s| s.file_range().1).sum())
}

#[cfg(test)]
mod tests {
    use super::linked_image;

    #[test]
    fn a_host_binary_is_refused() {
        let exe = std::env::current_exe().unwrap_or_default();
        let err = linked_image(&exe).err().unwrap_or_default();
        assert!(err.contains("not a Cortex-M"), "{err}");
    }

    #[test]
    fn a_missing_file_is_refused() {
        let err = linked_image(std::path::Path::new("/nonexistent/fw.elf"))
            .err()
            .unwrap_or_default();
        assert!(err.contains("cannot read"), "{err}");
    }
}
