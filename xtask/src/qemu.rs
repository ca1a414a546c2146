//! Running a firmware under QEMU: the one place with QEMU command lines.
//!
//! A run happens in a *device directory* (QEMU's working directory): the firmware's
//! semihosting files (flash image, device secret, counter, tamper line) live there, so a
//! second run on the same directory is a power cycle of the same device. Stdout carries
//! only defmt frames (QEMU's semihosting console); they are decoded to text as they come.
//! Every run has a deadline: a hang is killed and reported as a timeout. A run can also be
//! cut on purpose (power cut) after some time or when a marker line appears.
use crate::{boards::Board, defmt_log};
use std::{
    io::Read,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// The firmware exited through semihosting with this status.
    Exited(i32),
    /// QEMU died without an exit status (a signal, or it failed to start the machine).
    Crashed(String),
    /// The deadline passed: QEMU was killed. A failure.
    TimedOut(Duration),
    /// Killed on purpose by `cut` (power cut): after the time, or at the marker line.
    PowerCut,
}

/// When to cut the power on purpose.
#[derive(Debug, Clone, Default)]
pub struct Cut {
    /// Kill QEMU this long after start.
    pub after: Option<Duration>,
    /// Kill QEMU as soon as a decoded line contains this text.
    pub at_marker: Option<String>,
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Run<'a> {
    /// The machine.
    pub board: &'a Board,
    /// The firmware ELF.
    pub elf: PathBuf,
    /// The device directory (see [`provision_device`]).
    pub device: PathBuf,
    /// Deadline; passing it is a failure ([`Ending::TimedOut`]).
    pub timeout: Duration,
    /// Optional deliberate power cut.
    pub cut: Cut,
    /// Print each line as it arrives, with this prefix (None: quiet).
    pub echo: Option<String>,
}

/// The result of a run.
#[derive(Debug)]
pub struct Outcome {
    /// The decoded lines.
    pub lines: Vec<String>,
    /// How it ended.
    pub ending: Ending,
    /// QEMU's own stderr (empty when all is well).
    pub stderr: String,
    /// Wall time.
    pub elapsed: Duration,
}

impl Outcome {
    /// One line for people.
    pub fn describe(&self) -> String {
        match &self.ending {
            Ending::Exited(s) => format!("exit status {s}"),
            Ending::Crashed(why) => format!("QEMU died: {why}"),
            Ending::TimedOut(d) => format!("TIMEOUT after {} s", d.as_secs()),
            Ending::PowerCut => "power cut (QEMU killed on purpose)".into(),
        }
    }
}

/// The QEMU command line for `board` running `elf`. A TrustZone Secure image
/// (`crate::tz::SECURE_ELF`) runs with the Non-secure application next to it
/// (`crate::tz::NONSECURE_ELF`, same directory), loaded by QEMU's generic loader: the
/// Secure image boots and starts it.
pub fn command(board: &Board, elf: &Path) -> Command {
    let mut c = Command::new("qemu-system-arm");
    c.args(["-machine", board.machine])
        .args(["-display", "none", "-monitor", "none", "-serial", "none"])
        .args([
            "-semihosting-config",
            "enable=on,target=native,chardev=keyfort-log",
        ])
        .args(["-chardev", "stdio,id=keyfort-log,signal=off"])
        .arg("-kernel")
        .arg(elf);
    if let Some(ns) = crate::tz::nonsecure_companion(elf) {
        // No `cpu-num`: that would start the CPU at the Non-secure entry in the Secure
        // state (no isolation at all).
        c.arg("-device")
            .arg(format!("loader,file={}", ns.display()));
    }
    c
}

/// Creates the device directory if needed and provisions what the host must: a fresh
/// random TEST-ONLY device secret (once per device) and a released tamper line. The
/// firmware creates the flash image and the counter on first use.
pub fn provision_device(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let secret = dir.join("device-secret.bin");
    if !secret.exists() {
        let mut s = [0u8; 32];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut s))
            .map_err(|e| format!("/dev/urandom: {e}"))?;
        std::fs::write(&secret, s).map_err(|e| format!("{}: {e}", secret.display()))?;
    }
    set_tamper(dir, false)
}

/// Drives the device's tamper line (the firmware polls it).
pub fn set_tamper(dir: &Path, asserted: bool) -> Result<(), String> {
    let p = dir.join("tamper");
    std::fs::write(&p, if asserted { "1" } else { "0" })
        .map_err(|e| format!("{}: {e}", p.display()))
}

/// Runs the firmware to its end, a timeout, or a deliberate cut.
pub fn run(r: &Run<'_>) -> Result<Outcome, String> {
    let table = defmt_log::load_table(&r.elf)?;
    let mut decoder = table.new_stream_decoder();
    let start = Instant::now();
    let mut child = command(r.board, &r.elf)
        .current_dir(&r.device)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start qemu-system-arm: {e}"))?;
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let mut stdout = child.stdout.take().ok_or("no stdout pipe")?;
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut stderr_pipe = child.stderr.take().ok_or("no stderr pipe")?;
    let err_thread = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr_pipe.read_to_string(&mut s);
        s
    });

    let deadline = r.cut.after.map_or(r.timeout, |a| a.min(r.timeout));
    let mut lines = Vec::new();
    let mut ending = None;
    loop {
        let left = deadline.saturating_sub(start.elapsed());
        match rx.recv_timeout(left) {
            Ok(bytes) => {
                for line in defmt_log::decode_lines(decoder.as_mut(), &bytes) {
                    if let Some(p) = &r.echo {
                        println!("{p}{line}");
                    }
                    let hit = r.cut.at_marker.as_deref().is_some_and(|m| line.contains(m));
                    lines.push(line);
                    if hit {
                        ending = Some(Ending::PowerCut);
                    }
                }
                if ending.is_some() {
                    break;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                ending = Some(if r.cut.after.is_some_and(|a| a <= r.timeout) {
                    Ending::PowerCut
                } else {
                    Ending::TimedOut(r.timeout)
                });
                break;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    if ending.is_some() {
        // SIGKILL: as abrupt as pulling the plug.
        let _ = child.kill();
    }
    let status = child.wait().map_err(|e| format!("waiting for qemu: {e}"))?;
    let ending = ending.unwrap_or_else(|| match status.code() {
        Some(c) => Ending::Exited(c),
        None => Ending::Crashed(status.to_string()),
    });
    let stderr = err_thread.join().unwrap_or_default();
    Ok(Outcome {
        lines,
        ending,
        stderr,
        elapsed: start.elapsed(),
    })
}

/// Parses the firmware's closing `N passed, N failed` line.
pub fn pass_counts(lines: &[String]) -> Option<(u32, u32)> {
    lines.iter().rev().find_map(|l| {
        let (p, rest) = l.trim().split_once(" passed, ")?;
        let f = rest.strip_suffix(" failed")?;
        Some((p.parse().ok()?, f.parse().ok()?))
    })
}

#[cfg(test)]
mod tests {
    use super::pass_counts;

    fn lines(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reads_the_last_count_line() {
        let l = lines(&[
            "test a ... ok",
            "3 passed, 0 failed",
            "test b ... FAILED: x",
            "4 passed, 2 failed",
        ]);
        assert_eq!(pass_counts(&l), Some((4, 2)));
    }

    #[test]
    fn no_count_line_is_none() {
        assert_eq!(
            pass_counts(&lines(&["test a ... ok", "PANIC at x.rs:1"])),
            None
        );
        assert_eq!(pass_counts(&lines(&["x passed, 0 failed"])), None);
    }
}
