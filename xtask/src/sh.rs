//! Running commands: echo them, and turn a failed exit into a one-line error.
use std::process::{Command, Stdio};

/// Runs `cmd` with inherited output; Err names the command and its status.
pub fn run(cmd: &mut Command) -> Result<(), String> {
    println!("  $ {}", show(cmd));
    match cmd.status() {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!("`{}` failed ({s})", show(cmd))),
        Err(e) => Err(format!("cannot start `{}`: {e}", show(cmd))),
    }
}

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
