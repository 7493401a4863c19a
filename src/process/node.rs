//! One node process: spawning it in its own process group, a thread that writes its stdin (so a
//! paused node that stops reading never blocks the router), a thread that reads its stdout line
//! by line into the runtime's channel, its stderr appended to a file, signals (kill, stop,
//! continue) and reaping.
//!
//! What it must never do: leave its process running or unreaped. Dropping a [`NodeProcess`]
//! kills its whole process group and waits for it, so every path out of a run (an error, a
//! panic, Ctrl-C) reaps it.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::thread;

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

/// How many messages may wait for a node that does not read its stdin before more are lost.
pub const STDIN_BACKLOG: usize = 1 << 14;

/// What a node's reader thread tells the runtime.
#[derive(Debug)]
pub enum Input {
    /// One line of the node's stdout (1-based line number, counted across the incarnation).
    Line {
        /// The node, by index.
        node: usize,
        /// Which start of the node process (0, then one more per restart).
        incarnation: u32,
        /// The line number.
        line: u64,
        /// The line, or why it could not be read (not UTF-8, too long).
        text: Result<String, String>,
    },
    /// The node's stdout closed: it exited (or closed it).
    Closed {
        /// The node, by index.
        node: usize,
        /// Which start of the node process.
        incarnation: u32,
    },
}

/// A running node process.
#[derive(Debug)]
pub struct NodeProcess {
    child: Child,
    input: Option<SyncSender<String>>,
    /// Which start of the node this process is (0, then one more per restart).
    pub incarnation: u32,
    reaped: bool,
}

/// Where node `name`'s stderr goes under `out`.
pub fn stderr_path(out: &Path, name: &str) -> PathBuf {
    out.join(format!("{name}.stderr"))
}

impl NodeProcess {
    /// Starts `bin args` as node `index` (incarnation `incarnation`), its stderr appended to
    /// `stderr`, its stdout lines sent to `events`, with `QUORATE_NODE_DIR` set to `node_dir`
    /// (created), where it may keep what must survive a kill.
    pub fn spawn(
        bin: &Path,
        args: &[String],
        index: usize,
        incarnation: u32,
        stderr: &Path,
        node_dir: &Path,
        events: SyncSender<Input>,
    ) -> std::io::Result<NodeProcess> {
        std::fs::create_dir_all(node_dir)?;
        let log: File = OpenOptions::new().create(true).append(true).open(stderr)?;
        let mut child = Command::new(bin)
            .args(args)
            .env("QUORATE_NODE_DIR", node_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            // Its own process group: a terminal's Ctrl-C reaches quorate only (which then reaps
            // the node), and a signal to the group reaches whatever the node started itself.
            .process_group(0)
            .spawn()?;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (sender, receiver) = sync_channel::<String>(STDIN_BACKLOG);
        thread::spawn(move || {
            for message in receiver {
                let written = stdin
                    .write_all(message.as_bytes())
                    .and_then(|()| stdin.write_all(b"\n"))
                    .and_then(|()| stdin.flush());
                if written.is_err() {
                    break;
                }
            }
        });
        thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut buffer = Vec::new();
            let mut line = 0;
            loop {
                buffer.clear();
                match reader.read_until(b'\n', &mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        line += 1;
                        if buffer.last() == Some(&b'\n') {
                            buffer.pop();
                        }
                        let text = String::from_utf8(std::mem::take(&mut buffer))
                            .map_err(|error| String::from_utf8_lossy(error.as_bytes()).into());
                        let sent = events.send(Input::Line {
                            node: index,
                            incarnation,
                            line,
                            text,
                        });
                        if sent.is_err() {
                            return;
                        }
                    }
                }
            }
            let _ = events.send(Input::Closed {
                node: index,
                incarnation,
            });
        });
        Ok(NodeProcess {
            child,
            input: Some(sender),
            incarnation,
            reaped: false,
        })
    }

    /// The process id (also its process group's).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Queues one line for the node's stdin. `false` when the node's backlog is full (it has
    /// not read its stdin for [`STDIN_BACKLOG`] messages: paused, or flooded): the line is lost,
    /// as a full network buffer loses it. A node that has gone loses it too; its reader reports
    /// that.
    pub fn send(&self, line: String) -> bool {
        match &self.input {
            Some(input) => !matches!(input.try_send(line), Err(TrySendError::Full(_))),
            None => false,
        }
    }

    /// Sends `signal` to the node's process group.
    pub fn signal(&self, signal: Signal) {
        if !self.reaped {
            let _ = killpg(Pid::from_raw(self.child.id() as i32), signal);
        }
    }

    /// The exit status, if the node has exited (without waiting).
    pub fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            _ => None,
        }
    }

    /// Kills the process group (SIGKILL; a stopped node dies too) and waits for the node.
    pub fn kill_and_reap(&mut self) {
        if self.reaped {
            return;
        }
        self.input = None;
        self.signal(Signal::SIGKILL);
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.reaped = true;
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        self.kill_and_reap();
    }
}

/// The last `lines` lines of a node's stderr file, for an error message.
pub fn stderr_tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    let tail = all[all.len().saturating_sub(lines)..].join(" | ");
    if tail.is_empty() {
        format!("{} (empty)", path.display())
    } else {
        format!("{}: {tail}", path.display())
    }
}

/// Refuses at once a `--bin` that is missing, a directory, or not executable.
pub fn check_bin(bin: &Path) -> Result<PathBuf, super::ProcessError> {
    use std::os::unix::fs::PermissionsExt;
    let error = |reason: &str| super::ProcessError::Bin {
        path: bin.display().to_string(),
        reason: reason.to_string(),
    };
    let resolved = if bin.components().count() == 1 && !bin.exists() {
        std::env::var_os("PATH")
            .and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|dir| dir.join(bin))
                    .find(|candidate| candidate.is_file())
            })
            .ok_or_else(|| error("not found (no such file, and not on PATH)"))?
    } else {
        bin.to_path_buf()
    };
    let metadata = std::fs::metadata(&resolved).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => error("not found (no such file)"),
        _ => error(&format!("cannot read: {e}")),
    })?;
    if metadata.is_dir() {
        return Err(error("is a directory, not an executable"));
    }
    if metadata.permissions().mode() & 0o111 == 0 {
        return Err(error("is not executable (chmod +x it)"));
    }
    Ok(resolved)
}
