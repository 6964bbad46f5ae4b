//! One writer at a time per store, and telling whose leftovers are whose.
//!
//! Both stores (the dataset store of [`crate::store`] and the trade store of `sovra-lake`) follow one rule:
//! **every write happens while its writer holds the store's [`WriteLock`]**, an advisory `flock(2)` on a
//! directory of the store. The kernel drops the lock when its holder exits, however it exits (`kill -9`
//! included), so a writer that has acquired it knows that no other writer is running: any temporary or
//! unreferenced file it then finds belongs to a writer that is gone, and may be removed. While it holds the
//! lock, a writer records who it is (PID, host, process start time, what it does) in a small file beside
//! the lock, so that a second writer can say who is in the way; the file is removed on release.
//!
//! Leftovers named by older sovra versions, which wrote without a lock (`.NAME.tmp-PID`, `.import-PID-…`),
//! carry only a PID: [`pid_status`] checks that the process is gone, and that a process now holding that
//! PID started after the leftover was last written (PID reuse), before they are touched.
//!
//! [`Owner::token`] names the current process in file names (host, boot, PID and start time), so that
//! leftovers can be traced to a process even without the lock: [`token_status`].
//!
//! A process start time is read from `/proc/PID/stat` (Linux); elsewhere only the PID is checked.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};

/// How long a writer waits for a store that another writer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Wait {
    /// Fail at once, saying who holds the store.
    #[default]
    No,
    /// Wait at most this long, then fail saying who holds it.
    For(Duration),
    /// Wait until the other writer is done.
    Forever,
}

/// A process, as far as the store needs to recognise it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// Host name.
    pub host: String,
    /// Boot identifier (`/proc/sys/kernel/random/boot_id`; empty when unknown): PIDs and start times
    /// restart at every boot.
    pub boot: String,
    /// Process id.
    pub pid: u32,
    /// Start time in clock ticks since boot (`/proc/PID/stat`, field 22); 0 when unknown.
    pub start_ticks: u64,
}

/// Whether the process behind a leftover is still running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// It runs (on this host, this boot, with the same start time).
    Alive,
    /// It is gone: no such PID, a PID reused by a later process, or a previous boot.
    Gone,
    /// It ran on another host: it cannot be checked from here.
    Unknown,
}

impl Owner {
    /// The current process.
    pub fn current() -> &'static Owner {
        static CURRENT: OnceLock<Owner> = OnceLock::new();
        CURRENT.get_or_init(|| {
            let pid = std::process::id();
            Owner {
                host: host_name(),
                boot: boot_id(),
                pid,
                start_ticks: start_ticks(pid).unwrap_or(0),
            }
        })
    }

    /// A token naming this process in file names: `h<host hash>-b<boot hash>-p<pid>-s<start ticks>`
    /// (letters, digits and `-` only).
    pub fn token(&self) -> String {
        format!(
            "h{:08x}-b{:08x}-p{}-s{}",
            short_hash(&self.host),
            short_hash(&self.boot),
            self.pid,
            self.start_ticks
        )
    }
}

/// A 32-bit FNV-1a hash: short, stable across versions and platforms.
fn short_hash(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// The owner recorded in a [`Owner::token`] found anywhere in `name` (e.g. `v-<token>-<n>`), and whether it
/// still runs; `None` when `name` holds no token.
pub fn token_status(name: &str) -> Option<Status> {
    let (host, boot, pid, start) = name
        .match_indices('h')
        .find_map(|(at, _)| parse_token(&name[at..]))?;
    let me = Owner::current();
    if host != short_hash(&me.host) {
        return Some(Status::Unknown);
    }
    if boot != short_hash(&me.boot) {
        return Some(Status::Gone);
    }
    Some(match start_ticks(pid) {
        None if process_exists(pid) => Status::Alive,
        None => Status::Gone,
        Some(now) if now == start || start == 0 => Status::Alive,
        Some(_) => Status::Gone,
    })
}

/// `h<8 hex>-b<8 hex>-p<pid>-s<ticks>` at the start of `s`.
fn parse_token(s: &str) -> Option<(u32, u32, u32, u64)> {
    let mut parts = s.split('-');
    let hex = |p: &str, tag: char| {
        let h = p.strip_prefix(tag)?;
        (h.len() == 8).then(|| u32::from_str_radix(h, 16).ok())?
    };
    let host = hex(parts.next()?, 'h')?;
    let boot = hex(parts.next()?, 'b')?;
    let pid = parts.next()?.strip_prefix('p')?.parse().ok()?;
    let start = parts.next()?.strip_prefix('s')?.parse().ok()?;
    Some((host, boot, pid, start))
}

/// For a leftover that names only a PID (older sovra): whether that process still runs. A process holding
/// the PID that started after `modified` (the leftover's last change) cannot have written it: the PID was
/// reused, and the writer is gone.
pub fn pid_status(pid: u32, modified: SystemTime) -> Status {
    if pid == std::process::id() {
        return Status::Alive;
    }
    if !process_exists(pid) {
        return Status::Gone;
    }
    match process_started_at(pid) {
        // One second of slack: start times are in clock ticks, modification times may be coarser.
        Some(started) if started > modified + Duration::from_secs(1) => Status::Gone,
        _ => Status::Alive,
    }
}

#[cfg(target_os = "linux")]
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

#[cfg(not(target_os = "linux"))]
fn host_name() -> String {
    std::env::var("HOSTNAME").unwrap_or_default()
}

fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// Field 22 of `/proc/PID/stat`: the start time in clock ticks since boot.
fn start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces or ')': fields resume after the
    // last ')'. Field 3 is the first after it, so field 22 is the 20th.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// When a process started, from its start ticks and the boot time (`btime` of `/proc/stat`).
fn process_started_at(pid: u32) -> Option<SystemTime> {
    let ticks = start_ticks(pid)?;
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let btime: u64 = stat
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    // SAFETY: sysconf has no memory-safety preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let hz = u64::try_from(hz).ok().filter(|&h| h > 0)?;
    Some(UNIX_EPOCH + Duration::from_secs(btime) + Duration::from_millis(ticks * 1000 / hz))
}

#[cfg(unix)]
fn process_exists(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn process_exists(_pid: u32) -> bool {
    true
}

/// The store's write lock: held from [`WriteLock::acquire`] until dropped (or until the process ends).
#[derive(Debug)]
pub struct WriteLock {
    /// The locked directory, kept open: the lock lives on this descriptor.
    _handle: File,
    /// The locked directory's path.
    dir: PathBuf,
    /// The file naming the holder.
    info: PathBuf,
}

impl WriteLock {
    /// Takes the write lock of `dir` (which must exist), waiting as `wait` says. `info_name` is the file
    /// in `dir` that names the holder while the lock is held; `what` says what the holder does (e.g.
    /// "a trade import"), for the message a second writer shows.
    ///
    /// The lock is `flock(2)` on the directory itself, so it needs no file of its own and is released by
    /// the kernel when its holder dies. A directory removed (or replaced) while this writer waited is
    /// detected, and the wait starts again on the new one.
    pub fn acquire(dir: &Path, info_name: &str, what: &str, wait: Wait) -> Result<WriteLock> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(5);
        loop {
            let file = File::open(dir).map_err(|e| Error::io(dir, e))?;
            if try_lock(&file).map_err(|e| Error::io(dir, e))? {
                if same_file(dir, &file) {
                    let info = dir.join(info_name);
                    let me = Owner::current();
                    let since = SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .map_or(0, |d| d.as_secs());
                    let text = format!(
                        "pid={}\nhost={}\nstart_ticks={}\nsince={since}\nwhat={what}\n",
                        me.pid, me.host, me.start_ticks
                    );
                    std::fs::File::create(&info)
                        .and_then(|mut f| f.write_all(text.as_bytes()))
                        .map_err(|e| Error::io(&info, e))?;
                    return Ok(WriteLock {
                        _handle: file,
                        dir: dir.to_path_buf(),
                        info,
                    });
                }
                // The directory was removed or replaced while we waited: lock the new one.
                continue;
            }
            let waited = started.elapsed();
            let give_up = match wait {
                Wait::No => true,
                Wait::For(limit) => waited >= limit,
                Wait::Forever => false,
            };
            if give_up {
                return Err(Error::Locked {
                    path: dir.to_path_buf(),
                    holder: holder(&dir.join(info_name)),
                    waited,
                });
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(200));
        }
    }
}

impl WriteLock {
    /// Releases the lock and removes the locked directory if it is empty, before any waiting writer can
    /// take it (a waiter then finds the directory gone and starts again). Returns whether it was removed.
    pub fn remove_dir_if_empty(self) -> bool {
        let _ = std::fs::remove_file(&self.info);
        std::fs::remove_dir(&self.dir).is_ok()
    }
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        // The info file goes first, while the lock is still held; the lock goes with the descriptor.
        let _ = std::fs::remove_file(&self.info);
    }
}

/// Who holds a lock, from its info file: "pid 123 on host h, a trade import, for 4 s".
fn holder(info: &Path) -> String {
    let Ok(text) = std::fs::read_to_string(info) else {
        return "another sovra process".into();
    };
    let field = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
            .unwrap_or("?")
            .to_string()
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let age = field("since")
        .parse::<u64>()
        .map(|s| format!(", for {} s", now.saturating_sub(s)))
        .unwrap_or_default();
    format!(
        "pid {} on host {}, {}{age}",
        field("pid"),
        field("host"),
        field("what")
    )
}

/// Takes an exclusive advisory lock (`flock(2)`) on an open file without waiting: `false` when another
/// process holds it. Released when the file is closed.
#[cfg(unix)]
pub fn try_lock(file: &File) -> std::io::Result<bool> {
    use std::os::fd::AsRawFd;
    loop {
        // SAFETY: flock on a descriptor we own; no memory is passed.
        let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if r == 0 {
            return Ok(true);
        }
        let e = std::io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EWOULDBLOCK) => return Ok(false),
            Some(libc::EINTR) => continue,
            _ => return Err(e),
        }
    }
}

/// Without `flock(2)`: always granted.
#[cfg(not(unix))]
pub fn try_lock(_file: &File) -> std::io::Result<bool> {
    Ok(true)
}

/// Whether `path` still names the directory open as `file`.
#[cfg(unix)]
fn same_file(path: &Path, file: &File) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(path), file.metadata()) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino() && b.nlink() > 0,
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(path: &Path, _file: &File) -> bool {
    path.is_dir()
}

/// Flushes a directory's entries (after a rename or a create in it) to disk.
pub fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(|e| Error::io(dir, e))?;
    Ok(())
}

/// Swaps two paths in one step (`renameat2(RENAME_EXCHANGE)`, Linux). `Ok(false)` when the file system or
/// kernel cannot, so that the caller can fall back.
pub fn exchange(a: &Path, b: &Path) -> Result<bool> {
    #[cfg(target_os = "linux")]
    {
        use std::ffi::CString;
        use std::os::unix::ffi::OsStrExt;
        let ca = CString::new(a.as_os_str().as_bytes())
            .map_err(|e| Error::io(a, std::io::Error::other(e)))?;
        let cb = CString::new(b.as_os_str().as_bytes())
            .map_err(|e| Error::io(b, std::io::Error::other(e)))?;
        // SAFETY: two NUL-terminated paths that outlive the call; the syscall does not keep them.
        let r = unsafe {
            libc::syscall(
                libc::SYS_renameat2,
                libc::c_long::from(libc::AT_FDCWD),
                ca.as_ptr(),
                libc::c_long::from(libc::AT_FDCWD),
                cb.as_ptr(),
                libc::c_long::from(libc::RENAME_EXCHANGE),
            )
        };
        if r == 0 {
            return Ok(true);
        }
        let e = std::io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP) => Ok(false),
            _ => Err(Error::io(b, e)),
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (a, b);
        Ok(false)
    }
}

/// A name unique to this process and call: the [`Owner::token`] and a counter.
pub fn unique() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{}-n{nanos:x}{n}", Owner::current().token())
}

/// Fault points for the kill tests (`#[doc(hidden)]`): a test process installs a hook that is called at
/// each step of a write, named, so that a parent can kill it there and know where it was.
#[doc(hidden)]
pub mod fault {
    use std::sync::OnceLock;

    static HOOK: OnceLock<fn(&str)> = OnceLock::new();

    /// Installs the hook (once per process).
    pub fn set_hook(hook: fn(&str)) {
        let _ = HOOK.set(hook);
    }

    /// Reached a named step of a write.
    pub fn point(name: &str) {
        if let Some(h) = HOOK.get() {
            h(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_current_process_is_alive_and_a_dead_one_is_gone() {
        let token = Owner::current().token();
        assert_eq!(token_status(&format!("v-{token}-n1")), Some(Status::Alive));
        // A start time that is not this process's: the PID was reused.
        let me = Owner::current();
        let other = Owner {
            start_ticks: me.start_ticks + 1,
            ..me.clone()
        };
        assert_eq!(token_status(&other.token()), Some(Status::Gone));
        assert_eq!(token_status("v-nothing"), None);
        let far = Owner {
            host: format!("{}-elsewhere", me.host),
            ..me.clone()
        };
        assert_eq!(token_status(&far.token()), Some(Status::Unknown));
    }

    #[test]
    fn a_second_writer_is_told_who_holds_the_lock() {
        let d = tempfile::tempdir().unwrap();
        let held = WriteLock::acquire(d.path(), ".writer", "a test", Wait::No).unwrap();
        let e = WriteLock::acquire(d.path(), ".writer", "another test", Wait::No).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains(&format!("pid {}", std::process::id())) && text.contains("a test"),
            "{text}"
        );
        let t0 = Instant::now();
        let e = WriteLock::acquire(
            d.path(),
            ".writer",
            "x",
            Wait::For(Duration::from_millis(100)),
        )
        .unwrap_err();
        assert!(t0.elapsed() >= Duration::from_millis(100), "{e}");
        drop(held);
        assert!(!d.path().join(".writer").exists());
        let _again = WriteLock::acquire(d.path(), ".writer", "x", Wait::No).unwrap();
    }
}
