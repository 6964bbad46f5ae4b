//! Writing files whole or not at all: a temporary file beside the target, created exclusively under an
//! unpredictable name (never through a link planted there), given the target's permissions when it replaces
//! one, then renamed over it — so a reader never sees half a file, a failed write leaves the old one, and two
//! writers to one path leave one complete result. Devices such as `/dev/null` are written directly.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, ErrorKind, Result};

/// Writes `bytes` to `path` atomically when it is (or will be) a regular file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let failed = |e: std::io::Error| {
        Error::new(
            ErrorKind::External,
            format!("writing {}: {e}", path.display()),
        )
    };
    let existing = std::fs::metadata(path).ok();
    if existing.as_ref().is_some_and(|m| !m.is_file()) {
        if existing.as_ref().is_some_and(|m| m.is_dir()) {
            return Err(Error::new(
                ErrorKind::Usage,
                format!("{} is a directory: name a file to write", path.display()),
            ));
        }
        return std::fs::write(path, bytes).map_err(failed);
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    // O_CREAT | O_EXCL with a random suffix: a link or file planted beside the target is never opened.
    // A new file gets what any program's would (0666 less the umask), not a temporary file's 0600.
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir).map_err(|e| {
        Error::new(
            ErrorKind::External,
            format!(
                "writing {}: cannot create a file in {} ({}); sovra writes beside the target and renames, so \
                 that nobody reads half a file: give a path in a directory you can write to",
                path.display(),
                dir.display(),
                std::io::Error::from(e.kind())
            ),
        )
    })?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.flush())
        .map_err(failed)?;
    if let Some(m) = &existing {
        std::fs::set_permissions(tmp.path(), m.permissions()).map_err(failed)?;
    }
    tmp.persist(path).map_err(|e| failed(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_new_file_gets_the_umask_permissions_not_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let plain = dir.path().join("plain");
        std::fs::write(&plain, b"x").expect("write");
        let ours = dir.path().join("ours");
        write_atomic(&ours, b"x").expect("write_atomic");
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&ours), mode(&plain));
    }

    #[cfg(unix)]
    #[test]
    fn replaces_whole_keeps_permissions_and_ignores_planted_links() {
        use std::os::unix::fs::{PermissionsExt, symlink};
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("out.csv");
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "keep me").expect("victim");
        // The predictable names of earlier versions, planted as links to another file.
        symlink(
            &victim,
            dir.path()
                .join(format!(".out.csv.tmp-{}", std::process::id())),
        )
        .expect("link");
        std::fs::write(&target, "old").expect("old");
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        write_atomic(&target, b"new contents").expect("write");
        assert_eq!(
            std::fs::read_to_string(&target).expect("read"),
            "new contents"
        );
        assert_eq!(std::fs::read_to_string(&victim).expect("read"), "keep me");
        let mode = std::fs::metadata(&target)
            .expect("meta")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "the replaced file keeps its permissions");
        let left: Vec<String> = std::fs::read_dir(dir.path())
            .expect("dir")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "no temporary file left: {left:?}");
    }

    #[test]
    fn two_writers_leave_one_complete_result() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("sweep.jsonl");
        let a = "a".repeat(200_000);
        let b = "b".repeat(300_000);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| write_atomic(&target, a.as_bytes()).expect("a"));
                s.spawn(|| write_atomic(&target, b.as_bytes()).expect("b"));
            }
        });
        let got = std::fs::read_to_string(&target).expect("read");
        assert!(got == a || got == b, "a mix of {} bytes", got.len());
    }

    #[test]
    fn devices_are_written_directly_and_directories_refused() {
        write_atomic(Path::new("/dev/null"), b"x").expect("/dev/null");
        let dir = tempfile::tempdir().expect("tempdir");
        let e = write_atomic(dir.path(), b"x").expect_err("a directory");
        assert_eq!(e.kind, ErrorKind::Usage);
        assert!(e.message.contains("is a directory"), "{e}");
    }
}
