//! A firmware running under QEMU with a QMP socket: start it, follow its defmt lines,
//! stop it and save its memory regions (`pmemsave`), as the board's `memory.x` gives them.
use super::Image;
use crate::{boards::Board, defmt_log, qemu};
use std::{
    io::{BufRead, BufReader, Read, Write},
    os::unix::net::UnixStream,
    path::{Path, PathBuf},
    process::{Child, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

/// A memory region of the board's `memory.x`.
#[derive(Debug, Clone)]
pub struct Region {
    /// `FLASH` (code) or `RAM`.
    pub name: String,
    /// First address.
    pub origin: u64,
    /// Length in bytes.
    pub len: u64,
}

/// Parses the `MEMORY` block of a linker script (`NAME : ORIGIN = x, LENGTH = yK|M`).
pub fn memory_regions(script: &str) -> Vec<Region> {
    let num = |s: &str| -> Option<u64> {
        let s = s.trim().trim_end_matches(',');
        let (digits, mul) = match s.chars().last()? {
            'K' => (&s[..s.len() - 1], 1024),
            'M' => (&s[..s.len() - 1], 1024 * 1024),
            _ => (s, 1),
        };
        let v = match digits.strip_prefix("0x") {
            Some(h) => u64::from_str_radix(h, 16).ok()?,
            None => digits.parse().ok()?,
        };
        Some(v * mul)
    };
    script
        .lines()
        .filter_map(|l| {
            let (name, rest) = l.split_once(':')?;
            let origin = rest.split("ORIGIN").nth(1)?.split('=').nth(1)?;
            let origin = origin.split(',').next()?;
            let len = rest.split("LENGTH").nth(1)?.split('=').nth(1)?;
            Some(Region {
                name: name.trim().to_string(),
                origin: num(origin)?,
                len: num(len)?,
            })
        })
        .collect()
}

/// A running firmware with a QMP socket.
pub struct Machine {
    child: Child,
    lines: mpsc::Receiver<String>,
    qmp: BufReader<UnixStream>,
    device: PathBuf,
    regions: Vec<Region>,
    /// The firmware's defmt lines so far.
    pub log: Vec<String>,
    started: Instant,
    timeout: Duration,
}

impl Machine {
    pub fn start(
        board: &Board,
        elf: &Path,
        device: &Path,
        regions: Vec<Region>,
    ) -> Result<Self, String> {
        let sock = device.join("qmp.sock");
        let _ = std::fs::remove_file(&sock);
        let table = defmt_log::load_table(elf)?;
        let mut cmd = qemu::command(board, elf);
        // -icount: the firmware's SysTick then counts instructions (tamper wipe cost).
        cmd.args(["-icount", "shift=0"])
            .arg("-qmp")
            .arg(format!("unix:{},server=on,wait=off", sock.display()))
            .current_dir(device)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().map_err(|e| format!("cannot start qemu: {e}"))?;
        let mut out = child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut dec = table.new_stream_decoder();
            let mut buf = [0u8; 4096];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                for l in defmt_log::decode_lines(dec.as_mut(), &buf[..n]) {
                    if tx.send(l).is_err() {
                        return;
                    }
                }
            }
        });
        let t0 = Instant::now();
        let stream = loop {
            match UnixStream::connect(&sock) {
                Ok(s) => break s,
                Err(e) if t0.elapsed() > Duration::from_secs(10) => {
                    let _ = child.kill();
                    return Err(format!("QMP socket {}: {e}", sock.display()));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        };
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .map_err(|e| e.to_string())?;
        let mut m = Machine {
            child,
            lines: rx,
            qmp: BufReader::new(stream),
            device: device.to_path_buf(),
            regions,
            log: Vec::new(),
            started: Instant::now(),
            timeout: Duration::from_secs(300),
        };
        let mut greeting = String::new();
        m.qmp
            .read_line(&mut greeting)
            .map_err(|e| format!("QMP greeting: {e}"))?;
        m.qmp_cmd(r#"{"execute":"qmp_capabilities"}"#)?;
        Ok(m)
    }

    pub fn qmp_cmd(&mut self, json: &str) -> Result<(), String> {
        self.qmp
            .get_mut()
            .write_all(format!("{json}\n").as_bytes())
            .map_err(|e| format!("QMP write: {e}"))?;
        loop {
            let mut l = String::new();
            let n = self
                .qmp
                .read_line(&mut l)
                .map_err(|e| format!("QMP read: {e}"))?;
            if n == 0 {
                return Err("QMP closed".into());
            }
            if l.contains("\"return\"") {
                return Ok(());
            }
            if l.contains("\"error\"") {
                return Err(format!("QMP {json}: {}", l.trim()));
            }
        }
    }

    /// Waits for a line containing `marker` (echoing lines); Err on exit or timeout.
    pub fn wait_for(&mut self, marker: &str, echo: &str) -> Result<(), String> {
        loop {
            let left = self.timeout.saturating_sub(self.started.elapsed());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    println!("{echo}{l}");
                    let hit = l.contains(marker);
                    let failed = l.contains("FAILED") || l.starts_with("PANIC");
                    self.log.push(l);
                    if hit {
                        return Ok(());
                    }
                    if failed {
                        return Err(format!("firmware failed before `{marker}`"));
                    }
                }
                Err(_) => return Err(format!("no `{marker}` line (exited or timed out)")),
            }
        }
    }

    /// Stops the CPU, saves every memory region, reads the flash image, resumes.
    pub fn dump(&mut self, tag: &str) -> Result<Vec<Image>, String> {
        self.qmp_cmd(r#"{"execute":"stop"}"#)?;
        let mut images = Vec::new();
        for r in self.regions.clone() {
            let file = self.device.join(format!("dump-{tag}-{}.bin", r.name));
            self.qmp_cmd(&format!(
                r#"{{"execute":"pmemsave","arguments":{{"val":{},"size":{},"filename":"{}"}}}}"#,
                r.origin,
                r.len,
                file.display()
            ))?;
            let bytes = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            if bytes.len() as u64 != r.len {
                return Err(format!("{}: short dump", file.display()));
            }
            let _ = std::fs::remove_file(&file);
            images.push(Image {
                name: format!("{} (memory)", r.name),
                base: r.origin,
                bytes,
            });
        }
        let flash = self.device.join("flash.bin");
        if let Ok(bytes) = std::fs::read(&flash) {
            images.push(Image {
                name: "flash.bin (NOR image)".into(),
                base: 0,
                bytes,
            });
        }
        self.qmp_cmd(r#"{"execute":"cont"}"#)?;
        Ok(images)
    }

    pub fn ack(&self, step: u8) -> Result<(), String> {
        let p = self.device.join("host-ack");
        std::fs::write(&p, [b'0' + step]).map_err(|e| format!("{}: {e}", p.display()))
    }

    /// Waits for the exit; true if the status was 0.
    pub fn finish(mut self, echo: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            while let Ok(l) = self.lines.try_recv() {
                println!("{echo}{l}");
                self.log.push(l);
            }
            match self.child.try_wait() {
                Ok(Some(s)) => {
                    while let Ok(l) = self.lines.recv_timeout(Duration::from_millis(100)) {
                        println!("{echo}{l}");
                    }
                    return s.code() == Some(0);
                }
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                _ => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    return false;
                }
            }
        }
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_parse() {
        let r = memory_regions("MEMORY\n{\n  FLASH : ORIGIN = 0x00000000, LENGTH = 4M\n  RAM   : ORIGIN = 0x20000000, LENGTH = 16K\n}\n");
        assert_eq!(r.len(), 2);
        assert_eq!((r[1].origin, r[1].len), (0x2000_0000, 16 * 1024));
    }
}
