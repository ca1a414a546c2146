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

/// The parent side of a constant-time test: re-runs this binary under memcheck (see
/// [`rerun_under_memcheck`]), prints the child's report, and requires the child to have
/// exited successfully printing `"{tag}: PASS"`. For each of `required_suppressions` (a
/// branch the test allows only where it was reached with secret data), requires memcheck
/// to have used it and prints how often. The test's exit code (memcheck's output printed
/// on failure).
pub fn parent(
    tag: &str,
    child_env: &str,
    suppression_files: &[&std::path::Path],
    required_suppressions: &[&str],
) -> std::process::ExitCode {
    use std::{eprintln, print, println};
    let out = rerun_under_memcheck(child_env, suppression_files);
    let stdout = std::string::String::from_utf8_lossy(&out.stdout);
    let stderr = std::string::String::from_utf8_lossy(&out.stderr);
    print!("{stdout}");
    if !(out.status.success() && stdout.contains(&format!("{tag}: PASS"))) {
        eprintln!("---- valgrind output ----\n{stderr}");
        eprintln!("{tag}: FAIL (status {:?})", out.status);
        return std::process::ExitCode::FAILURE;
    }
    for name in required_suppressions {
        let n = suppression_uses(&stderr, name);
        if n == 0 {
            eprintln!("---- valgrind output ----\n{stderr}");
            eprintln!("{tag}: FAIL: suppression {name} never used: its branch was not reached with secret data");
            return std::process::ExitCode::FAILURE;
        }
        println!("{tag}: allowed branch {name}: {n} time(s), nothing else");
    }
    if let Some(l) = stderr.lines().find(|l| l.contains("ERROR SUMMARY")) {
        println!(
            "valgrind: {}",
            l.trim_start_matches(|c: char| c == '=' || c.is_ascii_digit())
                .trim()
        );
    }
    std::process::ExitCode::SUCCESS
}
