//! The child's fds: pipes and the channel's socketpair made for it, the
//! parent's ends as rt-net sockets on the fd pump, and the child's ends
//! mapped into place (0-2 through std, the rest through `command-fds`).

use std::io;
use std::os::fd::OwnedFd;

use command_fds::{CommandFdExt, FdMapping};
use rt_net::transport::Io;
use rt_net::{Socket, SocketOptions};
use rt_stream::{Code, Error};

use crate::options::Stdio;

/// What [`prepare`] made: the parent's ends, the channel's end and where
/// the channel is in the child.
pub(crate) struct Prepared {
    /// Per fd: the parent's end of a pipe, raw (made a socket after spawn).
    pub(crate) parent_ends: Vec<Option<OwnedFd>>,
    /// The parent's end of the IPC socketpair, and the child's fd number.
    pub(crate) ipc: Option<(OwnedFd, usize)>,
}

fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    Ok(rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?)
}

fn dev_null(write: bool) -> io::Result<OwnedFd> {
    let f = std::fs::OpenOptions::new()
        .read(!write)
        .write(write)
        .open("/dev/null")?;
    Ok(f.into())
}

pub(crate) fn socketpair() -> io::Result<(OwnedFd, OwnedFd)> {
    use rustix::net::{AddressFamily, SocketFlags, SocketType};
    Ok(rustix::net::socketpair(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )?)
}

/// Why [`prepare`] failed.
pub(crate) enum PrepareError {
    /// A system call failed making the child's fds (Node reports `EMFILE`
    /// and `ENFILE` as the child's `'error'`, and throws the rest).
    Sys(io::Error),
    /// Bad options (Node throws).
    Invalid(Error),
}

impl From<Error> for PrepareError {
    fn from(e: Error) -> PrepareError {
        PrepareError::Invalid(e)
    }
}

/// Builds every fd of the child into `cmd`, returning the parent's ends.
pub(crate) fn prepare(
    cmd: &mut std::process::Command,
    mut stdio: Vec<Stdio>,
) -> Result<Prepared, PrepareError> {
    while stdio.len() < 3 {
        stdio.push(Stdio::Pipe);
    }
    let sys = PrepareError::Sys;
    let mut parent_ends = Vec::with_capacity(stdio.len());
    let mut mappings = Vec::new();
    let mut ipc = None;
    for (i, entry) in stdio.into_iter().enumerate() {
        let child_end: Option<OwnedFd> = match entry {
            // Above fd 2 both ways, as Node's `stdio[3]` (a socketpair).
            Stdio::Pipe if i > 2 => {
                let (parent, child) = socketpair().map_err(sys)?;
                parent_ends.push(Some(parent));
                Some(child)
            }
            Stdio::Pipe => {
                let (r, w) = pipe().map_err(sys)?;
                let (parent, child) = if i == 0 { (w, r) } else { (r, w) };
                parent_ends.push(Some(parent));
                Some(child)
            }
            Stdio::Ipc => {
                if ipc.is_some() {
                    return Err(Error::new(
                        Code::ERR_IPC_ONE_PIPE,
                        "Child process can have only one IPC pipe",
                    )
                    .into());
                }
                let (parent, child) = socketpair().map_err(sys)?;
                ipc = Some((parent, i));
                parent_ends.push(None);
                Some(child)
            }
            Stdio::Inherit => {
                parent_ends.push(None);
                if i > 2 {
                    return Err(Error::invalid_arg_value(
                        &format!("stdio[{i}]"),
                        "'inherit' (only fds 0, 1 and 2 can be inherited here)",
                    )
                    .into());
                }
                None
            }
            Stdio::Ignore => {
                parent_ends.push(None);
                if i <= 2 {
                    Some(dev_null(i > 0).map_err(sys)?)
                } else {
                    None
                }
            }
            Stdio::Fd(fd) => {
                parent_ends.push(None);
                Some(fd)
            }
            Stdio::Socket(socket) => {
                parent_ends.push(None);
                // Node stops reading a socket given as stdio (readStop):
                // what arrives from now on is the child's.
                socket.pause();
                socket.read_stop();
                let fd = socket.dup_fd()?;
                if i <= 2 {
                    // As libuv does for the child's fds 0-2: a blocking
                    // file (ordinary programs read EAGAIN as the end). The
                    // mode belongs to the connection, shared with this
                    // process's socket, as in Node.
                    rustix::io::ioctl_fionbio(&fd, false).map_err(|e| PrepareError::Sys(e.into()))?;
                }
                Some(fd)
            }
        };
        match (i, child_end) {
            (0, Some(fd)) => {
                cmd.stdin(fd);
            }
            (1, Some(fd)) => {
                cmd.stdout(fd);
            }
            (2, Some(fd)) => {
                cmd.stderr(fd);
            }
            (0, None) => {
                cmd.stdin(std::process::Stdio::inherit());
            }
            (1, None) => {
                cmd.stdout(std::process::Stdio::inherit());
            }
            (2, None) => {
                cmd.stderr(std::process::Stdio::inherit());
            }
            (n, Some(fd)) => mappings.push(FdMapping {
                parent_fd: fd,
                child_fd: n as i32,
            }),
            (_, None) => {}
        }
    }
    if !mappings.is_empty() {
        cmd.fd_mappings(mappings).map_err(|_| {
            PrepareError::Invalid(Error::invalid_arg_value("stdio", "two entries for one fd"))
        })?;
    }
    Ok(Prepared { parent_ends, ipc })
}

/// The parent's end of a pipe as a socket on the fd pump.
pub(crate) fn socket_of(fd: OwnedFd) -> Result<Socket, Error> {
    let io = Io::from_fd(fd).map_err(|e| Error::syscall_failed(&e, "spawn"))?;
    Ok(Socket::from_io(io, SocketOptions::default()))
}
