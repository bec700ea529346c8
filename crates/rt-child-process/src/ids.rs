//! Node's `uid` / `gid`: the ids a child switches to before its exec, with
//! the supplementary groups dropped as libuv drops them.

use std::os::unix::process::CommandExt;
use std::process::Command;

/// Sets `cmd`'s child to run with `uid` and `gid`. libuv drops the
/// supplementary groups when either id is set; std only when the uid is, so
/// for `gid` alone the child also "switches" to this process's own uid (a
/// no-op switch that makes std drop them).
pub(crate) fn apply(cmd: &mut Command, uid: Option<u32>, gid: Option<u32>) {
    if let Some(gid) = gid {
        cmd.gid(gid);
    }
    if let Some(uid) = uid.or(gid.map(|_| rustix::process::getuid().as_raw())) {
        cmd.uid(uid);
    }
}
