//! Faults outside the app that tests put it through: a disk that fills up (a small tmpfs) and a
//! PostgreSQL server that stops answering (a TCP relay in front of it that can freeze).

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Set where the tmpfs tests must run (CI): without it, a machine that cannot mount one skips them
/// with a notice.
pub const REQUIRE_TMPFS_VAR: &str = "AMBITO_TEST_REQUIRE_TMPFS";

/// A tmpfs of a few megabytes mounted on a fresh folder, lazily unmounted and removed on drop.
pub struct Tmpfs {
    pub path: PathBuf,
}

impl Tmpfs {
    /// `None`, with a notice, where mounting is not permitted (not root) and CI did not ask for it.
    pub fn mount(megabytes: u32) -> Option<Tmpfs> {
        let path = std::env::temp_dir().join(format!("ambito-tmpfs-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&path).expect("a mount point");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(&path)
            .output();
        match mounted {
            Ok(out) if out.status.success() => Some(Tmpfs { path }),
            failed => {
                let _ = std::fs::remove_dir(&path);
                let why = match failed {
                    Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_owned(),
                    Err(e) => e.to_string(),
                };
                assert!(std::env::var_os(REQUIRE_TMPFS_VAR).is_none(), "cannot mount a tmpfs: {why}");
                eprintln!("notice: cannot mount a tmpfs ({why}), so this full-disk test was not run");
                None
            }
        }
    }

    /// Fills what is left of the disk with one file, until the filesystem refuses a byte more;
    /// removing the file frees the disk again.
    pub fn fill(&self) -> PathBuf {
        let filler = self.path.join("filler");
        let mut file = std::fs::File::create(&filler).expect("the filler file");
        let block = vec![0xA5u8; 64 * 1024];
        loop {
            match file.write(&block) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC
                Err(e) => panic!("filling the tmpfs: {e}"),
            }
        }
        // The last partial block: byte by byte, until not even one fits.
        while file.write(&block[..1]).is_ok_and(|n| n == 1) {}
        filler
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazily: the app's pool may still hold files open in it for a moment.
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
        let _ = std::fs::remove_dir(&self.path);
    }
}

/// A TCP relay on a port of 127.0.0.1 that forwards every connection to `upstream`, and can
/// freeze: bytes stop flowing both ways and new connections are accepted but go nowhere, as
/// with a server that stopped answering; thawed, everything resumes where it was.
pub struct Relay {
    pub port: u16,
    frozen: Arc<AtomicBool>,
}

impl Relay {
    pub fn start(upstream: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("address").port();
        let frozen = Arc::new(AtomicBool::new(false));
        let flag = frozen.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let flag = flag.clone();
                std::thread::spawn(move || {
                    wait_while(&flag);
                    let Ok(server) = TcpStream::connect(upstream) else { return };
                    let (c2, s2) = (client.try_clone().expect("clone"), server.try_clone().expect("clone"));
                    let back = flag.clone();
                    std::thread::spawn(move || pump(s2, c2, &back));
                    pump(client, server, &flag);
                });
            }
        });
        Relay { port, frozen }
    }

    pub fn freeze(&self) {
        self.frozen.store(true, Ordering::SeqCst);
    }

    pub fn thaw(&self) {
        self.frozen.store(false, Ordering::SeqCst);
    }
}

fn wait_while(frozen: &AtomicBool) {
    while frozen.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, frozen: &AtomicBool) {
    from.set_read_timeout(Some(Duration::from_millis(50))).expect("read timeout");
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        wait_while(frozen);
        match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                wait_while(frozen);
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// The `host:port` of a `postgres://user@host:port/db` URL.
pub fn postgres_address(url: &str) -> SocketAddr {
    let authority = url.split("://").nth(1).and_then(|rest| rest.split('/').next()).expect("a server URL");
    let host_port = authority.rsplit('@').next().expect("host");
    let host_port = if host_port.contains(':') { host_port.to_owned() } else { format!("{host_port}:5432") };
    std::net::ToSocketAddrs::to_socket_addrs(&host_port).expect("a resolvable address").next().expect("an address")
}

/// `url` with its `host:port` replaced by 127.0.0.1:`port`.
pub fn through_port(url: &str, port: u16) -> String {
    let (scheme, rest) = url.split_once("://").expect("a server URL");
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let user = authority.rsplit_once('@').map(|(u, _)| format!("{u}@")).unwrap_or_default();
    format!("{scheme}://{user}127.0.0.1:{port}/{path}")
}

/// Truncates a SQLite database's write-ahead log, so that its next write needs new disk space
/// (a WAL reuses the space it already has). A checkpoint that meets a transaction still ending
/// leaves the log as it is, so this tries until the log is empty.
pub fn truncate_sqlite_wal(path: &Path) {
    use diesel::Connection;
    use diesel::connection::SimpleConnection;
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    let mut conn = diesel::SqliteConnection::establish(&path.display().to_string()).expect("a connection");
    for _ in 0..100 {
        conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE)").expect("checkpoint");
        if std::fs::metadata(&wal).map_or(true, |m| m.len() == 0) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the write-ahead log {} could not be truncated", wal.display());
}
