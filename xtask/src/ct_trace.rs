//! The on-target constant-time check (`./x test`, step "ct-trace").
//!
//! Runs the `ct_trace` firmware (`qemu/firmware/src/bin/ct_trace.rs`) on Cortex-M0
//! (`microbit`), Cortex-M3 (`mps2-an385`) and Cortex-M4 (`mps2-an386`) under QEMU with
//! `-singlestep -d exec,nochain`: QEMU then logs the address of every executed instruction.
//! The log goes through a FIFO (never to disk) and is cut at the firmware's marker functions
//! `kf_trace_begin` / `kf_trace_end` (addresses from the ELF symbol table): one address
//! sequence per traced call, the k-th matching the firmware's k-th `ct <k> ...` line.
//! For each call: the instruction count and a 64-bit FNV-1a hash of the address sequence.
//!
//! What must hold (the step fails otherwise):
//! - `kw_unwrap_ct` / `kwp_unwrap_ct` (the whole unwrap, without the final branch on the
//!   verdict): within a group (same algorithm and wrapped length), the valid inputs and the
//!   inputs that each fail one check have equal counts AND equal hashes.
//! - `kw_unwrap` / `kwp_unwrap` (the public API): equal too, or, if the compiler turns
//!   the verdict into a branch when it builds the returned `Result`, identical up to the
//!   last instruction executed inside the constant-time core (`keyfort::wrap::kw::unwrap_ct`
//!   / `kwp::unwrap_ct`) with at most [`API_TAIL_MAX`] instructions after it. The report
//!   says which.
//! - `aes_block` (the block cipher alone: key schedule, encrypt, decrypt): equal within
//!   each group (different keys and blocks).
//! - The deliberately naive unwraps (early-exit compares) in the same firmware: every
//!   failing input's trace differs from the valid one's. If not, the check is broken.
//! - Every call returned the expected verdict and zeroed the output on failure (checked by
//!   the firmware, which exits non-zero otherwise).
use crate::{
    boards::{self, Board},
    ctx::{from, Ctx, Outcome},
    ontarget::fresh_device,
    qemu, sh,
    toolchain::{firmware_bin_build, firmware_elf},
};
use object::{Object, ObjectSymbol};
use std::{
    collections::BTreeMap,
    io::{BufRead, BufReader, Read},
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

/// The boards the check runs on (the issue asks for Cortex-M0 and Cortex-M4; Cortex-M3
/// runs keyfort-aes's ARMv7-M assembly, whose numbers the speed target is about).
pub const TRACED: &[&str] = &["microbit", "mps2-an385", "mps2-an386"];
/// The firmware binary.
const BIN: &str = "ct_trace";
/// Most instructions the public API may execute after leaving the constant-time core
/// when its traces are not fully equal (building the returned `Result`).
pub const API_TAIL_MAX: usize = 16;
/// Deadline of one traced run.
const TIMEOUT: Duration = Duration::from_secs(90);

/// One traced call.
#[derive(Debug, Clone)]
pub struct Call {
    /// `kw_unwrap_ct`, `kwp_unwrap`, `naive_kw_unwrap`, ...
    pub imp: String,
    /// Group (prefixed `api-` / `naive-` for those implementations).
    pub group: String,
    /// Whether the input is valid.
    pub valid: bool,
    /// The input's name.
    pub name: String,
    /// Executed addresses, begin marker entry inclusive, end marker entry exclusive.
    pub addrs: Vec<u32>,
}

impl Call {
    fn count(&self) -> usize {
        self.addrs.len()
    }
    fn hash(&self) -> u64 {
        fnv1a(&self.addrs)
    }
    fn kind(&self) -> Kind {
        if self.group.starts_with("naive-") {
            Kind::Naive
        } else if self.group.starts_with("api-") {
            Kind::Api
        } else {
            Kind::Ct
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ct,
    Api,
    Naive,
}

/// 64-bit FNV-1a over the addresses (little-endian bytes).
pub fn fnv1a(addrs: &[u32]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for a in addrs {
        for b in a.to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The step.
pub fn step(ctx: &mut Ctx) -> Outcome {
    from(run_all(ctx))
}

fn run_all(ctx: &Ctx) -> Result<String, String> {
    let boards: Vec<&Board> = TRACED.iter().filter_map(|m| boards::find(m)).collect();
    let targets: Vec<&str> = boards.iter().map(|b| b.target).collect();
    sh::run(&mut firmware_bin_build(
        &ctx.root,
        ctx.env.route,
        &targets,
        BIN,
    ))?;
    let mut notes = Vec::new();
    let mut failures = Vec::new();
    for b in boards {
        let elf = firmware_elf(&ctx.root, ctx.env.route, b.target, "bin", BIN);
        let t = Instant::now();
        let calls = trace_run(ctx, b, &elf)?;
        println!(
            "  [{}] {} traced calls ({:.1} s)",
            b.machine,
            calls.len(),
            t.elapsed().as_secs_f64()
        );
        let cores = symbol_ranges(&elf, &["4wrap2kw9unwrap_ct", "4wrap3kwp9unwrap_ct"])?;
        let (note, bad) = judge(b, &calls, &cores);
        notes.push(note);
        failures.extend(bad);
    }
    if failures.is_empty() {
        Ok(notes.join("; "))
    } else {
        Err(failures.join("; "))
    }
}

/// Compares the traces of one board; prints the table, returns a summary and failures.
fn judge(b: &Board, calls: &[Call], cores: &[(u32, u32)]) -> (String, Vec<String>) {
    let mut bad = Vec::new();
    let mut groups: BTreeMap<&str, Vec<&Call>> = BTreeMap::new();
    for c in calls {
        groups.entry(c.group.as_str()).or_default().push(c);
    }
    println!(
        "  [{}] {:<17} {:<11} {:<28} {:>8}  {:<16}  verdict",
        b.machine, "implementation", "group", "input", "instrs", "address hash"
    );
    let (mut n_ct, mut n_api, mut n_naive) = (0, 0, 0);
    for (g, members) in &groups {
        let Some(reference) = members.iter().find(|c| c.valid).or(members.first()) else {
            continue;
        };
        for c in members {
            let same = c.addrs == reference.addrs;
            let verdict = match c.kind() {
                Kind::Ct => {
                    n_ct += 1;
                    if same {
                        "equal".to_string()
                    } else {
                        bad.push(format!(
                            "{}: {} '{}' differs from '{}' ({} vs {} instructions; {})",
                            b.machine,
                            c.imp,
                            c.name,
                            reference.name,
                            c.count(),
                            reference.count(),
                            first_difference(&c.addrs, &reference.addrs)
                        ));
                        "DIFFERS".to_string()
                    }
                }
                Kind::Api => {
                    n_api += 1;
                    if same {
                        "equal".to_string()
                    } else {
                        match tail_after_core(&c.addrs, &reference.addrs, cores) {
                            Some((x, y)) if x.max(y) <= API_TAIL_MAX => {
                                format!("equal up to the Result (tails {x}/{y} instrs)")
                            }
                            other => {
                                bad.push(format!(
                                    "{}: {} '{}' differs from '{}' before the verdict ({other:?})",
                                    b.machine, c.imp, c.name, reference.name
                                ));
                                "DIFFERS".to_string()
                            }
                        }
                    }
                }
                Kind::Naive => {
                    if std::ptr::eq(*c, *reference) || c.valid {
                        "reference".to_string()
                    } else if same {
                        bad.push(format!(
                            "{}: naive '{}' has the same trace as the valid input: \
                             the trace check cannot see an early exit (harness broken)",
                            b.machine, c.name
                        ));
                        "SAME (check broken)".to_string()
                    } else {
                        n_naive += 1;
                        format!(
                            "differs as it must ({:+} instrs)",
                            c.count() as i64 - reference.count() as i64
                        )
                    }
                }
            };
            println!(
                "  [{}] {:<17} {:<11} {:<28} {:>8}  {:016x}  {verdict}",
                b.machine,
                c.imp,
                g,
                c.name,
                c.count(),
                c.hash()
            );
        }
    }
    let note = format!(
        "{} ({}): {n_ct} ct + {n_api} api calls equal per group, {n_naive} naive failing inputs differ",
        b.machine, b.core
    );
    (note, bad)
}

/// Where two traces part: the instruction index and both addresses.
fn first_difference(a: &[u32], b: &[u32]) -> String {
    let i = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let at = |t: &[u32]| t.get(i).map_or("end".to_string(), |pc| format!("{pc:#x}"));
    format!(
        "first difference at instruction {i}: {} vs {}",
        at(a),
        at(b)
    )
}

/// For two traces that differ: if they are identical up to and including the last
/// instruction either executes inside a constant-time core range, the lengths of what
/// follows (the rest of the public function after the core returned).
fn tail_after_core(a: &[u32], b: &[u32], cores: &[(u32, u32)]) -> Option<(usize, usize)> {
    let in_core = |pc: &u32| cores.iter().any(|&(lo, hi)| (lo..hi).contains(pc));
    let last_a = a.iter().rposition(in_core)?;
    let last_b = b.iter().rposition(in_core)?;
    (last_a == last_b && a[..=last_a] == b[..=last_b])
        .then(|| (a.len() - last_a - 1, b.len() - last_b - 1))
}

/// `[start, end)` of every function symbol whose (mangled) name contains one of `parts`.
pub fn symbol_ranges(elf: &Path, parts: &[&str]) -> Result<Vec<(u32, u32)>, String> {
    let bytes = std::fs::read(elf).map_err(|e| format!("{}: {e}", elf.display()))?;
    let file = object::File::parse(&*bytes).map_err(|e| format!("{}: {e}", elf.display()))?;
    let mut out = Vec::new();
    for s in file.symbols() {
        let Ok(name) = s.name() else { continue };
        if parts.iter().any(|p| name.contains(p)) {
            let lo = u32::try_from(s.address() & !1).map_err(|e| e.to_string())?;
            let size = u32::try_from(s.size()).map_err(|e| e.to_string())?;
            out.push((lo, lo + size));
        }
    }
    if out.len() < parts.len() {
        return Err(format!(
            "{}: expected symbols {parts:?} not all found",
            elf.display()
        ));
    }
    Ok(out)
}

/// The address of the symbol named exactly `name` (Thumb bit cleared).
pub fn symbol_addr(elf: &Path, name: &str) -> Result<u32, String> {
    let bytes = std::fs::read(elf).map_err(|e| format!("{}: {e}", elf.display()))?;
    let file = object::File::parse(&*bytes).map_err(|e| format!("{}: {e}", elf.display()))?;
    let s = file
        .symbols()
        .find(|s| s.name() == Ok(name))
        .ok_or_else(|| format!("{}: no symbol {name}", elf.display()))?;
    u32::try_from(s.address() & !1).map_err(|e| e.to_string())
}

/// Runs the firmware once with the exec trace going to a FIFO; returns the traced calls.
fn trace_run(ctx: &Ctx, b: &Board, elf: &Path) -> Result<Vec<Call>, String> {
    let begin = symbol_addr(elf, "kf_trace_begin")?;
    let end = symbol_addr(elf, "kf_trace_end")?;
    let device = fresh_device(ctx, &format!("{}-ct-trace", b.machine))?;
    let fifo = device.join("exec.fifo");
    sh::run(Command::new("mkfifo").arg(&fifo))?;
    let mut cmd = qemu::command(b, elf);
    cmd.args(["-singlestep", "-d", "exec,nochain", "-D"])
        .arg(&fifo)
        .current_dir(&device)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    println!("  $ {}", sh::show(&cmd));
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start qemu-system-arm: {e}"))?;
    let mut stdout = child.stdout.take().ok_or("no stdout pipe")?;
    let out_thread = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stdout.read_to_end(&mut v);
        v
    });
    let mut stderr = child.stderr.take().ok_or("no stderr pipe")?;
    let err_thread = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let fifo_r = fifo.clone();
    let trace_thread = std::thread::spawn(move || read_trace(&fifo_r, begin, end));

    let start = Instant::now();
    let status = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(s) => break Some(s),
            None if start.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    // If QEMU never opened the FIFO, the reader still waits in open(): let it through.
    // Non-blocking, so this fails at once (ENXIO) when no reader is waiting.
    {
        use std::os::unix::fs::OpenOptionsExt;
        const O_NONBLOCK: i32 = 0o4000; // Linux
        let _ = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(O_NONBLOCK)
            .open(&fifo);
    }
    let traces = trace_thread
        .join()
        .map_err(|_| "trace reader panicked".to_string())??;
    let bytes = out_thread.join().unwrap_or_default();
    let stderr = err_thread.join().unwrap_or_default();
    let _ = std::fs::remove_file(&fifo);

    let table = crate::defmt_log::load_table(elf)?;
    let mut dec = table.new_stream_decoder();
    let lines = crate::defmt_log::decode_lines(dec.as_mut(), &bytes);
    let Some(status) = status else {
        return Err(format!(
            "{}: ct_trace timed out after {} s",
            b.machine,
            TIMEOUT.as_secs()
        ));
    };
    for l in lines.iter().filter(|l| !l.starts_with("ct ")) {
        println!("  [{}] {l}", b.machine);
    }
    if !status.success() {
        return Err(format!(
            "{}: ct_trace firmware failed ({status}) {}",
            b.machine,
            stderr.trim()
        ));
    }
    let calls: Vec<(String, String, bool, String)> = lines
        .iter()
        .filter_map(|l| {
            let mut f = l.strip_prefix("ct ")?.splitn(5, ' ');
            let _k = f.next()?;
            let imp = f.next()?.to_string();
            let group = f.next()?.to_string();
            let valid = f.next()? == "true";
            let name = f.next()?.to_string();
            Some((imp, group, valid, name))
        })
        .collect();
    let done = lines
        .iter()
        .find_map(|l| l.strip_prefix("ct-done "))
        .ok_or_else(|| format!("{}: no ct-done line", b.machine))?;
    if done != format!("{} 0", calls.len()) || traces.len() != calls.len() {
        return Err(format!(
            "{}: {} calls announced, {} traced, firmware says `{done}`",
            b.machine,
            calls.len(),
            traces.len()
        ));
    }
    Ok(calls
        .into_iter()
        .zip(traces)
        .map(|((imp, group, valid, name), addrs)| Call {
            imp,
            group,
            valid,
            name,
            addrs,
        })
        .collect())
}

/// Reads QEMU's exec log (`Trace 0: 0x... [xxxxxxxx/PC/flags/cflags] symbol`) from the
/// FIFO; returns one address sequence per begin/end marker pair.
fn read_trace(fifo: &Path, begin: u32, end: u32) -> Result<Vec<Vec<u32>>, String> {
    let f = std::fs::File::open(fifo).map_err(|e| format!("{}: {e}", fifo.display()))?;
    let mut r = BufReader::with_capacity(1 << 20, f);
    let mut line = Vec::with_capacity(256);
    let mut traces = Vec::new();
    let mut cur: Option<Vec<u32>> = None;
    loop {
        line.clear();
        let n = r
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("reading the trace: {e}"))?;
        if n == 0 {
            break;
        }
        let Some(pc) = trace_pc(&line) else { continue };
        if pc == begin {
            cur = Some(Vec::with_capacity(1 << 16));
        } else if pc == end {
            if let Some(t) = cur.take() {
                traces.push(t);
            }
        }
        if let Some(t) = cur.as_mut() {
            t.push(pc);
        }
    }
    Ok(traces)
}

/// The PC of one exec-log line: the second `/`-separated hex field inside `[...]`.
pub fn trace_pc(line: &[u8]) -> Option<u32> {
    if !line.starts_with(b"Trace ") {
        return None;
    }
    let open = line.iter().position(|&c| c == b'[')?;
    let rest = &line[open + 1..];
    let slash = rest.iter().position(|&c| c == b'/')?;
    let mut v: u32 = 0;
    for &c in rest[slash + 1..].iter().take_while(|&&c| c != b'/') {
        let d = (c as char).to_digit(16)?;
        v = v.checked_mul(16)?.checked_add(d)?;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_qemu_exec_lines() {
        let l = b"Trace 0: 0x7f68a0000240 [00800400/00000d64/00000110/ff000201] DefaultPreInit\n";
        assert_eq!(trace_pc(l), Some(0xd64));
        assert_eq!(trace_pc(b"Stopped execution of TB chain\n"), None);
    }

    #[test]
    fn hash_sees_order_and_content() {
        assert_ne!(fnv1a(&[1, 2]), fnv1a(&[2, 1]));
        assert_ne!(fnv1a(&[1, 2]), fnv1a(&[1, 3]));
        assert_eq!(fnv1a(&[7, 9]), fnv1a(&[7, 9]));
    }

    #[test]
    fn api_tail_allowance_only_after_the_core() {
        let core = [(100, 200)];
        let a = [1, 150, 160, 300, 301];
        let b = [1, 150, 160, 310];
        assert_eq!(tail_after_core(&a, &b, &core), Some((2, 1)));
        let c = [1, 150, 170, 300];
        assert_eq!(tail_after_core(&a, &c, &core), None);
    }
}
