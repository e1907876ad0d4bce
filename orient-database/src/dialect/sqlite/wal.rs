//! The state of a database's write-ahead log, read without a connection and without writing anything.
//!
//! A WAL grows with every commit and shrinks only when a checkpoint has copied all of it into the database
//! and no reader still needs it. A reader pins the WAL at the frame where its transaction began: no
//! checkpoint (not even `PASSIVE`) copies frames past the oldest such snapshot, and the WAL cannot start
//! over while anyone reads it ("checkpoint starvation", sqlite.org/wal.html §"Avoiding Excessively Large
//! WAL Files"). Running a checkpoint to find out would write to the database, so this module reads what
//! SQLite itself reads instead:
//!
//! - the `-shm` file's WAL-index header (`mxFrame`: frames in the WAL; `nBackfill`: frames already
//!   copied into the database; the five readers' snapshot marks), laid out as in SQLite's `wal.c`;
//! - which of the `-shm` lock bytes other processes hold, and their pids, from `/proc/locks` (Linux):
//!   byte 120 + 3 + i is reader slot i, 120 is the writer, 128 is held by every open connection.
//!
//! Read this before opening a connection of one's own: opening and closing the `-shm` file here while a
//! SQLite connection of this process holds locks on it would drop those locks.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::dialect::sqlite::files::{Companion, companion};

/// Where the lock bytes start in the `-shm` file (`WALINDEX_LOCK_OFFSET`).
const LOCK_OFFSET: u64 = 120;
/// The writer's lock byte (`WAL_WRITE_LOCK`).
const WRITE_LOCK: u64 = LOCK_OFFSET;
/// The first reader slot's lock byte (`WAL_READ_LOCK(0)`).
const READ_LOCK: u64 = LOCK_OFFSET + 3;
/// Reader slots (`WAL_NREADER`).
pub const READER_SLOTS: usize = 5;
/// The byte every connection holds a shared lock on while it is open (`UNIX_SHM_DMS`).
const CONNECTED_LOCK: u64 = LOCK_OFFSET + 8;
/// The WAL file's header and each frame's header, in bytes.
const WAL_HEADER: u64 = 32;
const FRAME_HEADER: u64 = 24;

/// The WAL-index header and checkpoint information at the start of the `-shm` file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WalIndex {
    /// Whether both copies of the header agree (they differ while a writer updates them, or after a
    /// crash until the next connection recovers the WAL).
    pub consistent: bool,
    pub page_size: u32,
    /// Frames in the WAL (`mxFrame`).
    pub frames: u32,
    /// Frames already copied into the database by checkpoints (`nBackfill`).
    pub backfilled: u32,
    /// The frame each reader slot's snapshot ends at (`aReadMark`); slot 0 reads the database alone.
    pub read_marks: [u32; READER_SLOTS],
}

/// A POSIX lock another process holds on the `-shm` file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShmLock {
    pub pid: i64,
    pub exclusive: bool,
    pub start: u64,
    /// `None`: to the end of the file.
    pub end: Option<u64>,
}

impl ShmLock {
    fn covers(&self, byte: u64) -> bool {
        self.start <= byte && self.end.is_none_or(|end| byte <= end)
    }
}

/// A reader holding a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reader {
    pub pid: i64,
    pub slot: usize,
    /// The last WAL frame its snapshot includes (0 for slot 0: the database file alone).
    pub mark: u32,
}

/// What the `-wal` and `-shm` files say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WalState {
    pub wal: PathBuf,
    pub shm: PathBuf,
    pub wal_bytes: u64,
    /// `None` when the `-shm` file is missing, unreadable or not initialised.
    pub index: Option<WalIndex>,
    /// Locks other processes hold on the `-shm` file; `None` when `/proc/locks` cannot be read.
    pub locks: Option<Vec<ShmLock>>,
}

impl WalState {
    /// Reads the state of `database`'s WAL. `None` when there is no `-wal` file.
    pub fn read(database: &Path) -> Option<WalState> {
        let wal = companion(database, Companion::Wal);
        let shm = companion(database, Companion::Shm);
        let wal_bytes = std::fs::metadata(&wal).ok()?.len();
        let index = read_index(&shm);
        let locks = shm_locks(&shm);
        Some(WalState {
            wal,
            shm,
            wal_bytes,
            index,
            locks,
        })
    }

    /// Frames in the WAL that no checkpoint has copied into the database yet.
    pub fn pending_frames(&self) -> Option<u32> {
        self.index
            .as_ref()
            .map(|i| i.frames.saturating_sub(i.backfilled))
    }

    /// The bytes of WAL the pending frames take.
    pub fn pending_bytes(&self) -> Option<u64> {
        let index = self.index.as_ref()?;
        Some(
            u64::from(index.frames.saturating_sub(index.backfilled))
                * (FRAME_HEADER + u64::from(index.page_size)),
        )
    }

    /// Readers whose snapshot keeps frames from being checkpointed or the WAL from starting over: every
    /// held reader slot whose mark is behind the end of the WAL (slot 0 always is, once the WAL has
    /// frames). Empty when the locks cannot be read.
    pub fn pinning_readers(&self) -> Vec<Reader> {
        let (Some(index), Some(locks)) = (&self.index, &self.locks) else {
            return Vec::new();
        };
        let mut readers = Vec::new();
        for slot in 0..READER_SLOTS {
            let mark = if slot == 0 { 0 } else { index.read_marks[slot] };
            if mark >= index.frames {
                continue;
            }
            let byte = READ_LOCK + slot as u64;
            for lock in locks.iter().filter(|l| l.covers(byte)) {
                readers.push(Reader {
                    pid: lock.pid,
                    slot,
                    mark,
                });
            }
        }
        readers.sort_by_key(|r| (r.mark, r.pid));
        readers.dedup_by_key(|r| r.pid);
        readers
    }

    /// Pids of the processes with the database open (each holds the `-shm` file's "connected" byte).
    pub fn connected_pids(&self) -> Vec<i64> {
        let mut pids: Vec<i64> = self
            .locks
            .iter()
            .flatten()
            .filter(|l| l.covers(CONNECTED_LOCK) && !l.exclusive)
            .map(|l| l.pid)
            .collect();
        pids.sort_unstable();
        pids.dedup();
        pids
    }

    /// The pid of the process writing right now, if any.
    pub fn writer_pid(&self) -> Option<i64> {
        self.locks
            .iter()
            .flatten()
            .find(|l| l.covers(WRITE_LOCK) && l.exclusive)
            .map(|l| l.pid)
    }
}

/// The WAL file's size for `frames` frames of `page_size` bytes.
pub fn wal_bytes_for(frames: u32, page_size: u32) -> u64 {
    WAL_HEADER + u64::from(frames) * (FRAME_HEADER + u64::from(page_size))
}

/// Reads the WAL-index header of a `-shm` file (136 bytes; native byte order, as SQLite maps it).
fn read_index(shm: &Path) -> Option<WalIndex> {
    use std::io::Read;
    let mut bytes = [0u8; 136];
    let mut file = std::fs::File::open(shm).ok()?;
    file.read_exact(&mut bytes).ok()?;
    parse_index(&bytes)
}

fn parse_index(bytes: &[u8; 136]) -> Option<WalIndex> {
    let u32_at = |offset: usize| {
        let mut word = [0u8; 4];
        word.copy_from_slice(&bytes[offset..offset + 4]);
        u32::from_ne_bytes(word)
    };
    let u16_at = |offset: usize| u16::from_ne_bytes([bytes[offset], bytes[offset + 1]]);
    // `isInit` of the first copy: a zeroed file (never used, or reset) has no index yet.
    if bytes[12] == 0 {
        return None;
    }
    let page_size = match u16_at(14) {
        1 => 65_536,
        n => u32::from(n),
    };
    let mut read_marks = [0u32; READER_SLOTS];
    for (slot, mark) in read_marks.iter_mut().enumerate() {
        *mark = u32_at(100 + 4 * slot);
    }
    Some(WalIndex {
        consistent: bytes[0..48] == bytes[48..96],
        page_size,
        frames: u32_at(16),
        backfilled: u32_at(96),
        read_marks,
    })
}

/// The POSIX locks held on `path`'s inode, from `/proc/locks`.
#[cfg(unix)]
fn shm_locks(path: &Path) -> Option<Vec<ShmLock>> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).ok()?;
    let text = std::fs::read_to_string("/proc/locks").ok()?;
    let dev = meta.dev();
    // glibc's major()/minor() of a st_dev; /proc/locks prints the kernel's MAJOR:MINOR in hex.
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    let parsed: Vec<(bool, ShmLock)> = text
        .lines()
        .filter_map(|line| parse_lock_line(line, meta.ino(), (major, minor)))
        .collect();
    // Some file systems (overlayfs) report another device for the inode the lock is on; the inode
    // number and SQLite's lock bytes are specific enough then.
    let same_device = parsed.iter().any(|(same, _)| *same);
    Some(
        parsed
            .into_iter()
            .filter(|(same, _)| *same || !same_device)
            .map(|(_, lock)| lock)
            .collect(),
    )
}

#[cfg(not(unix))]
fn shm_locks(_path: &Path) -> Option<Vec<ShmLock>> {
    None
}

/// One line of `/proc/locks` (`7: POSIX  ADVISORY  READ 5582 fe:00:10969153 123 123`) if it is a
/// granted POSIX lock on inode `ino`, with whether its device is `device`.
fn parse_lock_line(line: &str, ino: u64, device: (u64, u64)) -> Option<(bool, ShmLock)> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    // Waiting requests are shown as `N: -> POSIX …`.
    if fields.get(1) == Some(&"->") || fields.get(1) != Some(&"POSIX") {
        return None;
    }
    let exclusive = match *fields.get(3)? {
        "WRITE" => true,
        "READ" => false,
        _ => return None,
    };
    let pid: i64 = fields.get(4)?.parse().ok()?;
    let mut id = fields.get(5)?.split(':');
    let major = u64::from_str_radix(id.next()?, 16).ok()?;
    let minor = u64::from_str_radix(id.next()?, 16).ok()?;
    let inode: u64 = id.next()?.parse().ok()?;
    if inode != ino {
        return None;
    }
    let start: u64 = fields.get(6)?.parse().ok()?;
    let end = match *fields.get(7)? {
        "EOF" => None,
        n => Some(n.parse().ok()?),
    };
    Some((
        (major, minor) == device,
        ShmLock {
            pid,
            exclusive,
            start,
            end,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(frames: u32, backfilled: u32, marks: [u32; 5]) -> [u8; 136] {
        let mut bytes = [0u8; 136];
        bytes[0..4].copy_from_slice(&3_007_000u32.to_ne_bytes());
        bytes[12] = 1;
        bytes[14..16].copy_from_slice(&4096u16.to_ne_bytes());
        bytes[16..20].copy_from_slice(&frames.to_ne_bytes());
        let first: Vec<u8> = bytes[0..48].to_vec();
        bytes[48..96].copy_from_slice(&first);
        bytes[96..100].copy_from_slice(&backfilled.to_ne_bytes());
        for (i, mark) in marks.iter().enumerate() {
            bytes[100 + 4 * i..104 + 4 * i].copy_from_slice(&mark.to_ne_bytes());
        }
        bytes
    }

    #[test]
    fn the_index_header_is_read_as_sqlite_lays_it_out() {
        let index = parse_index(&header(900, 100, [0, 100, 900, 0xffff_ffff, 0]))
            .unwrap_or_else(|| panic!("parsed"));
        assert!(index.consistent);
        assert_eq!(index.page_size, 4096);
        assert_eq!(index.frames, 900);
        assert_eq!(index.backfilled, 100);
        assert_eq!(index.read_marks[1], 100);
        assert!(
            parse_index(&[0u8; 136]).is_none(),
            "a zeroed -shm has no index"
        );
    }

    #[test]
    fn lock_lines_are_matched_by_inode_and_waiters_are_skipped() {
        let line = "7: POSIX  ADVISORY  READ 5582 fe:00:10969153 124 125";
        let (same, lock) =
            parse_lock_line(line, 10_969_153, (0xfe, 0)).unwrap_or_else(|| panic!("parsed"));
        assert!(same);
        assert_eq!(lock.pid, 5582);
        assert!(!lock.exclusive);
        assert!(lock.covers(124) && lock.covers(125) && !lock.covers(126));
        assert!(parse_lock_line(line, 1, (0xfe, 0)).is_none());
        assert!(
            parse_lock_line(
                "8: -> POSIX  ADVISORY  WRITE 77 fe:00:10969153 120 120",
                10_969_153,
                (0xfe, 0)
            )
            .is_none()
        );
        let eof = parse_lock_line(
            "9: POSIX  ADVISORY  WRITE 77 fe:00:10969153 0 EOF",
            10_969_153,
            (0xfe, 0),
        )
        .unwrap_or_else(|| panic!("parsed"));
        assert_eq!(eof.1.end, None);
    }

    #[test]
    fn readers_behind_the_end_of_the_wal_pin_it() {
        let state = WalState {
            wal: PathBuf::from("x-wal"),
            shm: PathBuf::from("x-shm"),
            wal_bytes: wal_bytes_for(900, 4096),
            index: parse_index(&header(900, 100, [0, 100, 900, 0, 0])),
            locks: Some(vec![
                // slot 1 (mark 100) held by pid 10, slot 2 (mark 900, current) by pid 11
                ShmLock {
                    pid: 10,
                    exclusive: false,
                    start: READ_LOCK + 1,
                    end: Some(READ_LOCK + 1),
                },
                ShmLock {
                    pid: 11,
                    exclusive: false,
                    start: READ_LOCK + 2,
                    end: Some(READ_LOCK + 2),
                },
                ShmLock {
                    pid: 10,
                    exclusive: false,
                    start: CONNECTED_LOCK,
                    end: Some(CONNECTED_LOCK),
                },
            ]),
        };
        assert_eq!(
            state.pinning_readers(),
            vec![Reader {
                pid: 10,
                slot: 1,
                mark: 100
            }]
        );
        assert_eq!(state.pending_frames(), Some(800));
        assert_eq!(state.connected_pids(), vec![10]);
        assert_eq!(state.writer_pid(), None);
    }
}
