//! Host-only helpers (feature `std`): re-running a test binary under memcheck and reading
//! which suppressions it used.
use std::format;

/// Re-runs the current (test) binary under `valgrind --tool=memcheck` with the
/// environment variable `child_env` set and the given suppression files, verbose (so that
/// the suppressions used are listed). Fails the test, naming the package to install, when
/// Valgrind is missing: a constant-time test never skips.
pub fn rerun_under_memcheck(
    child_env: &str,
    suppressions: &[&std::path::Path],
) -> std::process::Output {
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("current_exe: {e}"));
    let mut c = std::process::Command::new("valgrind");
    c.args([
        "--tool=memcheck",
        "--error-limit=no",
        "--num-callers=40",
        "--track-origins=no",
        "--leak-check=no",
        "--read-inline-info=yes",
        "-v",
    ]);
    for s in suppressions {
        c.arg(format!("--suppressions={}", s.display()));
    }
    c.arg(&exe)
        .env(child_env, "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run valgrind ({e}); install it (Debian: valgrind)"))
}

/// How many times memcheck used the suppression `name`, from its `-v` output.
pub fn suppression_uses(stderr: &str, name: &str) -> usize {
    stderr
        .lines()
        .filter(|l| l.contains("used_suppression") && l.contains(name))
        .filter_map(|l| {
            l.split(':')
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
                .and_then(|n| n.parse::<usize>().ok())
        })
        .sum()
}
