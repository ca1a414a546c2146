//! Running commands: echo them, and turn a failed exit into a one-line error.
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

/// Runs `cmd` with its output passed through; Err names the command, its status and the
/// first lines of its stderr that say `error` (so a summary line tells why, not only
/// that it failed).
pub fn run(cmd: &mut Command) -> Result<(), String> {
    println!("  $ {}", show(cmd));
    let mut child = cmd
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start `{}`: {e}", show(cmd)))?;
    // The reader passes stderr through and sends its `error` lines, then `None` at the
    // end of the stream. Bytes, not text: a command may write anything there, and a
    // reader stopped at a bad byte would leave the command blocked on a full pipe.
    let (tx, rx) = std::sync::mpsc::channel::<Option<String>>();
    if let Some(err) = child.stderr.take() {
        std::thread::spawn(move || {
            for line in BufReader::new(err).split(b'\n').map_while(Result::ok) {
                let mut echo = std::io::stderr().lock();
                let _ = echo.write_all(&line);
                let _ = echo.write_all(b"\n");
                let text = String::from_utf8_lossy(&line);
                if text.trim_start().starts_with("error") {
                    let _ = tx.send(Some(text.trim().to_string()));
                }
            }
            let _ = tx.send(None);
        });
    }
    let status = child.wait();
    // A process the command left running may hold the pipe open: wait for the end of
    // the stream only briefly.
    let mut said = Vec::new();
    while let Ok(Some(line)) = rx.recv_timeout(std::time::Duration::from_secs(2)) {
        if said.len() < ERROR_LINES {
            said.push(line);
        }
    }
    let said = said.join(" / ");
    match status {
        Ok(s) if s.success() => Ok(()),
        Ok(s) if said.is_empty() => Err(format!("`{}` failed ({s})", show(cmd))),
        Ok(s) => Err(format!("`{}` failed ({s}): {said}", show(cmd))),
        Err(e) => Err(format!("`{}`: cannot wait for it: {e}", show(cmd))),
    }
}

/// How many of a failed command's `error` lines [`run`] quotes.
const ERROR_LINES: usize = 3;

/// True if `cmd` runs and exits 0, with its output discarded.
pub fn quiet_ok(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// `cmd`'s stdout if it runs and exits 0.
pub fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// True if `prog` is on PATH.
pub fn have(prog: &str) -> bool {
    quiet_ok(Command::new("sh").args(["-c", &format!("command -v {prog}")]))
}

/// The command as a person would type it.
pub fn show(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_command_is_reported_with_its_error_lines() {
        let mut c = Command::new("sh");
        c.args([
            "-c",
            "echo 'warning: w' >&2; echo 'error: the cause' >&2; exit 3",
        ]);
        let e = run(&mut c).err().unwrap_or_default();
        let said = e.rsplit_once("): ").map(|(_, said)| said);
        assert_eq!(said, Some("error: the cause"), "{e}");
    }

    #[test]
    fn a_process_left_holding_stderr_does_not_hold_up_the_command() {
        let mut c = Command::new("sh");
        c.args(["-c", "sleep 30 >/dev/null 2>&2 & exit 0"]);
        let t = std::time::Instant::now();
        assert_eq!(run(&mut c), Ok(()));
        assert!(t.elapsed() < std::time::Duration::from_secs(20));
    }

    #[test]
    fn a_command_that_succeeds_is_ok_whatever_it_prints() {
        let mut c = Command::new("sh");
        c.args(["-c", "echo 'error: only words' >&2"]);
        assert_eq!(run(&mut c), Ok(()));
    }
}
