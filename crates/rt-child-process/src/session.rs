//! Node's `detached`: the child leads a new session (and so a new process
//! group), as libuv's `setsid()` in the forked child.

use std::process::Command;

use process_wrap::std::{CommandWrap, CommandWrapper, ProcessSession};

/// Makes `cmd`'s child call `setsid()` before its exec. std has no stable
/// `setsid` and `pre_exec` is `unsafe`: process-wrap's `ProcessSession`
/// adds that hook (the one piece of it used here; its `CommandWrap` is
/// only the context its hook signature asks for).
pub(crate) fn new_session(cmd: &mut Command) {
    let context = CommandWrap::from(Command::new("setsid"));
    // Its pre_spawn only registers the hook and cannot fail.
    let _ = ProcessSession.pre_spawn(cmd, &context);
}
