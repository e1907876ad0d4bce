//! Which development instance a checkout uses: `.dev-data/instance-N/orient.db`.
//!
//! N is `AI_INSTANCE_ID` when set; otherwise, inside a `…/claude-worktrees/<repo>/<worktree>/…` checkout,
//! `(POSIX cksum of <worktree>) % 9 + 1`, so parallel worktrees get different databases (1–9) without any
//! configuration; otherwise 0. This matches the original Orient's scripts, so both pick the same file.

use std::path::Path;

use serde::Serialize;

/// Where the instance number came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InstanceSource {
    /// The `AI_INSTANCE_ID` variable.
    Variable,
    /// The worktree directory name after `claude-worktrees/<repo>/`.
    Worktree { name: String },
    /// Neither: the main checkout.
    Default,
}

/// A development instance number and its origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Instance {
    pub id: u32,
    pub source: InstanceSource,
}

/// The instance for a directory, given the value of `AI_INSTANCE_ID` if any (already validated).
pub fn instance_for(dir: &Path, ai_instance_id: Option<u32>) -> Instance {
    if let Some(id) = ai_instance_id {
        return Instance {
            id,
            source: InstanceSource::Variable,
        };
    }
    match worktree_name(dir) {
        Some(name) => Instance {
            id: posix_cksum(name.as_bytes()) % 9 + 1,
            source: InstanceSource::Worktree { name },
        },
        None => Instance {
            id: 0,
            source: InstanceSource::Default,
        },
    }
}

/// `<worktree>` in `…/claude-worktrees/<repo>/<worktree>/…`.
fn worktree_name(dir: &Path) -> Option<String> {
    let parts: Vec<String> = dir
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let at = parts.iter().position(|p| p == "claude-worktrees")?;
    parts.get(at + 2).cloned()
}

/// The checksum printed by POSIX `cksum` (CRC-32, polynomial 0x04C11DB7, MSB first, with the length
/// appended), as in `printf '%s' "$name" | cksum`.
pub fn posix_cksum(data: &[u8]) -> u32 {
    fn feed(mut crc: u32, byte: u8) -> u32 {
        crc ^= u32::from(byte) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04C1_1DB7
            } else {
                crc << 1
            };
        }
        crc
    }
    let mut crc = data.iter().fold(0u32, |crc, &b| feed(crc, b));
    let mut len = data.len();
    while len > 0 {
        // usize → u8 after masking to the low byte.
        crc = feed(crc, (len & 0xff) as u8);
        len >>= 8;
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn cksum_matches_the_posix_tool() {
        // Values printed by `printf '%s' NAME | cksum`.
        assert_eq!(posix_cksum(b"my-feature-1736639420"), 1_374_682_433);
        assert_eq!(posix_cksum(b"schema-changes-1700000000"), 349_669_924);
        assert_eq!(posix_cksum(b""), 4_294_967_295);
    }

    #[test]
    fn worktrees_get_instances_one_to_nine() {
        let dir = PathBuf::from("/home/me/claude-worktrees/orient/my-feature-1736639420/sub");
        assert_eq!(instance_for(&dir, None).id, 6);
        let dir = PathBuf::from("/x/claude-worktrees/orient/schema-changes-1700000000");
        assert_eq!(instance_for(&dir, None).id, 8);
        assert_eq!(instance_for(&dir, Some(3)).id, 3);
        assert_eq!(instance_for(Path::new("/work/orient"), None).id, 0);
        assert_eq!(
            instance_for(Path::new("/x/claude-worktrees/orient"), None).id,
            0
        );
    }
}
