//! One node of any [`Store`] as a real process: Maelstrom's protocol on stdin and stdout, the
//! `mvr-kv` workload for clients, the store's own messages (as JSON) between nodes, and real
//! timers (docs/DESIGN.md §10). `quorate node` is this with the reference store.
//!
//! The loop: a reader thread turns stdin into lines on a channel; the one thread that owns the
//! node's state waits for a line or for the earliest timer (a heap of deadlines on the monotonic
//! clock), runs the handler, saves the node if it changed (before anything it said goes out),
//! then writes the handler's sends and replies. A handler's clock (`Effects::clock_ms`) is the
//! wall clock in milliseconds since the Unix epoch, never going back within a process, so nodes
//! of one machine share it as real nodes share NTP time.
//!
//! Wire forms: a node-to-node message is `{"type": "store", "msg": M}` with `M` the store's
//! message as serde writes it; a client's `get {key}` is answered `get_ok {values, tombstones,
//! context}` (the context as serde writes the store's context), `put {key, value, context?}`
//! `put_ok`, `delete {key, value, context?}` `delete_ok`; quorate's final `snapshot {key}` is
//! answered `snapshot_ok {values, tombstones, replica}` from the node's own copy. A store's failed get is error 11
//! (temporarily unavailable: definite, a get changes nothing); a failed put or delete is error 0
//! (timeout: indefinite, since a leaderless write that missed its quorum may still take
//! effect). A request that does not read is error 12 (malformed) or 10 (not supported).
//!
//! Persistence ([`Persist`]): with a node folder, after every handler whose saved form changed
//! the node is written to `DIR/state.json` (a temporary file renamed over it) before its
//! replies leave, and restored from it at `init`. The file is written, not fsynced: it survives
//! `kill -9` of the process, which is the fault process mode injects, not a power loss.
//!
//! What it must never do: panic on what arrives on stdin (a line that does not read is named on
//! stderr and skipped), answer a request it did not handle, or acknowledge before saving.

use std::collections::{BinaryHeap, HashMap};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, RecvTimeoutError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value as Json};

use crate::causality::NodeId;
use crate::history::{Key, Value};
use crate::store::{Dynamo, Effects, Reply, Request, RequestAction, RequestId, Store};

/// What a store keeps on disk when it runs as a process (`serve`), so that a node killed and
/// restarted keeps what it acknowledged. The provided methods keep nothing: a node restarts
/// from [`Store::boot`].
pub trait Persist: Store {
    /// The state of `node` to write to its folder, or `None` to keep nothing.
    fn save(&self, _node: &Self::Node) -> Option<Json> {
        None
    }

    /// The node `id` of a process that starts where [`Persist::save`] left `saved`; an error
    /// names what does not read.
    fn restore(&self, id: NodeId, _saved: Json) -> Result<Self::Node, String> {
        Ok(self.boot(id))
    }
}

/// The reference store keeps what a crash of its configuration keeps: a durable node everything
/// it stored, a volatile node only its incarnation (it comes back empty, as a new actor).
impl Persist for Dynamo {
    fn save(&self, node: &Self::Node) -> Option<Json> {
        Some(self.saved_state(node))
    }

    fn restore(&self, id: NodeId, saved: Json) -> Result<Self::Node, String> {
        self.restore_state(id, saved)
    }
}

/// Where a served node keeps its state.
#[derive(Clone, Debug, Default)]
pub struct ServeOptions {
    /// The node's folder (`state.json` goes in it); `None` keeps nothing on disk.
    pub node_dir: Option<PathBuf>,
}

/// What `init` told the node about its cluster, for building the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cluster {
    /// This node's name (`n0`, …).
    pub node_id: String,
    /// Every node's name, in `init`'s order; a node's `NodeId` is its position here.
    pub node_ids: Vec<String>,
}

/// Why a served node stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The store could not be built for the cluster `init` named.
    #[error("init: {0}")]
    Init(String),
    /// The node's state file could not be written or read back.
    #[error("{path}: {reason}")]
    State {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// Standard output is gone (the router closed it).
    #[error("cannot write to standard output: {0}")]
    Output(String),
}

/// Runs one node on the process's stdin and stdout until stdin closes. `build` makes the store
/// once `init` names the cluster (a store's node count is the cluster's).
pub fn serve<S, F>(build: F, options: &ServeOptions) -> Result<(), ServeError>
where
    S: Persist,
    S::Message: Serialize + DeserializeOwned,
    S::Context: Serialize + DeserializeOwned,
    F: FnOnce(&Cluster) -> Result<S, String>,
{
    serve_io(
        build,
        options,
        std::io::BufReader::new(std::io::stdin()),
        std::io::stdout(),
        &mut std::io::stderr(),
    )
}

/// [`serve`] over any input and output (tests give it scripted lines). `log` takes the notes a
/// node writes about input it skipped.
pub fn serve_io<S, F, R, W>(
    build: F,
    options: &ServeOptions,
    input: R,
    output: W,
    log: &mut dyn Write,
) -> Result<(), ServeError>
where
    S: Persist,
    S::Message: Serialize + DeserializeOwned,
    S::Context: Serialize + DeserializeOwned,
    F: FnOnce(&Cluster) -> Result<S, String>,
    R: BufRead + Send + 'static,
    W: Write,
{
    // A detached reader: it blocks on the input, so the node can stop (an error) without
    // waiting for its input to close.
    let (sender, receiver) = channel::<Result<String, String>>();
    std::thread::spawn(move || {
        let mut input = input;
        let mut bytes = Vec::new();
        loop {
            bytes.clear();
            match input.read_until(b'\n', &mut bytes) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    let line = String::from_utf8(bytes.clone())
                        .map(|line| line.trim_end_matches(['\n', '\r']).to_string())
                        .map_err(|_| String::from_utf8_lossy(&bytes).into_owned());
                    if sender.send(line).is_err() {
                        return;
                    }
                }
            }
        }
    });
    let mut server = Server::<S, F, W> {
        store: None,
        build: Some(build),
        options,
        output,
        state: None,
        me: NodeId(0),
        node_ids: Vec::new(),
        timers: BinaryHeap::new(),
        due: HashMap::new(),
        seq: 0,
        requests: HashMap::new(),
        next_request: 0,
        last_saved: None,
        last_clock: 0,
    };
    let mut number = 0u64;
    loop {
        let wait = server
            .next_deadline()
            .map(|deadline| deadline.saturating_duration_since(Instant::now()));
        let received = match wait {
            Some(wait) => receiver.recv_timeout(wait),
            None => receiver.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        let skipped = match received {
            Ok(Ok(line)) => {
                number += 1;
                server.line_in(&line)?.err().map(|reason| (reason, line))
            }
            Ok(Err(lossy)) => {
                number += 1;
                Some(("not UTF-8".to_string(), lossy))
            }
            // The input is closed: the node's life is over.
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
            Err(RecvTimeoutError::Timeout) => {
                server.fire_due()?;
                None
            }
        };
        if let Some((reason, line)) = skipped {
            let _ = writeln!(
                log,
                "quorate node: line {number} of stdin skipped: {reason}: {}",
                super::shorten(&line, 200)
            );
        }
    }
}

/// One node's loop state; the builder is kept until `init` calls it.
struct Server<'a, S: Store, F, W> {
    store: Option<S>,
    build: Option<F>,
    options: &'a ServeOptions,
    output: W,
    state: Option<S::Node>,
    me: NodeId,
    node_ids: Vec<String>,
    timers: BinaryHeap<std::cmp::Reverse<(Instant, u64)>>,
    due: HashMap<u64, S::Timer>,
    seq: u64,
    /// Client requests in flight: the client, its `msg_id`, and what it asked.
    requests: HashMap<u64, (String, Json, &'static str)>,
    next_request: u64,
    last_saved: Option<String>,
    last_clock: u64,
}

impl<S, F, W> Server<'_, S, F, W>
where
    S: Persist,
    S::Message: Serialize + DeserializeOwned,
    S::Context: Serialize + DeserializeOwned,
    F: FnOnce(&Cluster) -> Result<S, String>,
    W: Write,
{
    fn next_deadline(&self) -> Option<Instant> {
        self.timers.peek().map(|std::cmp::Reverse((when, _))| *when)
    }

    fn clock_ms(&mut self) -> u64 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis() as u64);
        self.last_clock = self.last_clock.max(now);
        self.last_clock
    }

    fn state_path(&self) -> Option<PathBuf> {
        self.options
            .node_dir
            .as_ref()
            .map(|dir| dir.join("state.json"))
    }

    /// One line of stdin: `Ok(Err(reason))` when it is skipped.
    fn line_in(&mut self, line: &str) -> Result<Result<(), String>, ServeError> {
        let message: Json = match serde_json::from_str(line) {
            Ok(message) => message,
            Err(error) => return Ok(Err(format!("not a JSON message ({error})"))),
        };
        let (Some(src), Some(body)) = (
            message.get("src").and_then(Json::as_str),
            message.get("body").filter(|body| body.is_object()),
        ) else {
            return Ok(Err(
                "a message without a string \"src\" and an object \"body\"".into(),
            ));
        };
        let kind = body.get("type").and_then(Json::as_str).unwrap_or("");
        if kind == "init" {
            return self.init(src, body);
        }
        if self.store.is_none() {
            return Ok(Err(format!("a {kind:?} message before init")));
        }
        if let Some(from) = self.node_ids.iter().position(|name| name == src) {
            if kind != "store" {
                return Ok(Err(format!(
                    "a node message of type {kind:?}, not \"store\""
                )));
            }
            let decoded = body
                .get("msg")
                .cloned()
                .ok_or_else(|| "a store message without \"msg\"".to_string())
                .and_then(|msg| {
                    serde_json::from_value::<S::Message>(msg).map_err(|error| error.to_string())
                });
            return match decoded {
                Ok(decoded) => {
                    self.run(|store, node, out| {
                        store.on_message(node, out, NodeId(from as u32), decoded);
                    })?;
                    Ok(Ok(()))
                }
                Err(reason) => Ok(Err(format!(
                    "a store message that does not decode: {reason}"
                ))),
            };
        }
        let msg_id = body.get("msg_id").cloned().unwrap_or(Json::Null);
        if kind == "snapshot" {
            let mut answer = self.snapshot(body);
            answer["in_reply_to"] = msg_id;
            self.write(src, answer)?;
            return Ok(Ok(()));
        }
        match self.request(body) {
            Ok((key, action, answer)) => {
                self.next_request += 1;
                let id = self.next_request;
                self.requests.insert(id, (src.to_string(), msg_id, answer));
                let request = Request {
                    id: RequestId(id),
                    key,
                    action,
                };
                self.run(|store, node, out| store.on_request(node, out, request))?;
                Ok(Ok(()))
            }
            Err((code, text)) => {
                self.write(
                    src,
                    json!({"type": "error", "code": code, "text": text, "in_reply_to": msg_id}),
                )?;
                Ok(Ok(()))
            }
        }
    }

    /// `snapshot {key}`, quorate's final read of this node's own copy of a key (no quorum, no
    /// repair): `snapshot_ok {values, tombstones, replica}`, `replica` saying whether the node is
    /// one of the key's home replicas.
    fn snapshot(&self, body: &Json) -> Json {
        let key = match key_of(body, "snapshot") {
            Ok(key) => key,
            Err((code, text)) => return json!({"type": "error", "code": code, "text": text}),
        };
        let (Some(store), Some(node)) = (&self.store, &self.state) else {
            return json!({"type": "error", "code": 11, "text": "snapshot before init"});
        };
        let copy = store.snapshot(node, &key);
        json!({
            "type": "snapshot_ok",
            "values": copy.values.iter().map(Value::as_str).collect::<Vec<_>>(),
            "tombstones": copy.tombstones.iter().map(Value::as_str).collect::<Vec<_>>(),
            "replica": store.replicas(&key).contains(&self.me),
        })
    }

    /// A client's request as the store's, or the error code and text to answer it with.
    #[allow(clippy::type_complexity)]
    fn request(
        &self,
        body: &Json,
    ) -> Result<(Key, RequestAction<S::Context>, &'static str), (u32, String)> {
        let kind = body.get("type").and_then(Json::as_str).unwrap_or("");
        let malformed = |what: &str| (12, format!("{kind}: {what}"));
        let key = key_of(body, kind)?;
        let value = || match body.get("value") {
            Some(Json::String(value)) => Ok(Value::from(value.as_str())),
            Some(Json::Number(value)) => Ok(Value::from(value.to_string())),
            _ => Err(malformed("\"value\" must be a string or a number")),
        };
        let context = || match body.get("context") {
            None | Some(Json::Null) => Ok(S::Context::default()),
            Some(context) => serde_json::from_value(context.clone())
                .map_err(|error| malformed(&format!("\"context\" does not read: {error}"))),
        };
        match kind {
            "get" => Ok((key, RequestAction::Get, "get_ok")),
            "put" => Ok((
                key,
                RequestAction::Put {
                    value: value()?,
                    context: context()?,
                },
                "put_ok",
            )),
            "delete" => Ok((
                key,
                RequestAction::Delete {
                    value: value()?,
                    context: context()?,
                },
                "delete_ok",
            )),
            other => Err((
                10,
                format!("{other:?} is not supported: mvr-kv has get, put and delete"),
            )),
        }
    }

    fn init(&mut self, src: &str, body: &Json) -> Result<Result<(), String>, ServeError> {
        if self.store.is_some() {
            return Ok(Err("a second init".into()));
        }
        let node_id = body.get("node_id").and_then(Json::as_str);
        let node_ids: Option<Vec<String>> =
            body.get("node_ids").and_then(Json::as_array).map(|ids| {
                ids.iter()
                    .filter_map(|id| id.as_str().map(str::to_string))
                    .collect()
            });
        let (Some(node_id), Some(node_ids)) = (node_id, node_ids) else {
            return Err(ServeError::Init(
                "init without a string node_id and a list node_ids".into(),
            ));
        };
        let Some(me) = node_ids.iter().position(|id| id == node_id) else {
            return Err(ServeError::Init(format!(
                "node_id {node_id:?} is not among node_ids {node_ids:?}"
            )));
        };
        let cluster = Cluster {
            node_id: node_id.to_string(),
            node_ids: node_ids.clone(),
        };
        let build = self.build.take().expect("init runs once");
        let store = build(&cluster).map_err(ServeError::Init)?;
        self.me = NodeId(me as u32);
        self.node_ids = node_ids;
        let saved = match self.state_path() {
            Some(path) if path.exists() => Some(read_state(&path)?),
            _ => None,
        };
        let node = match saved {
            Some(saved) => store
                .restore(self.me, saved)
                .map_err(|reason| ServeError::State {
                    path: self.state_path().unwrap_or_default().display().to_string(),
                    reason: format!("does not restore: {reason}"),
                })?,
            None => store.boot(self.me),
        };
        self.store = Some(store);
        self.state = Some(node);
        self.run(|store, node, out| store.on_start(node, out))?;
        let msg_id = body.get("msg_id").cloned().unwrap_or(Json::Null);
        self.write(src, json!({"type": "init_ok", "in_reply_to": msg_id}))?;
        Ok(Ok(()))
    }

    fn fire_due(&mut self) -> Result<(), ServeError> {
        while let Some(std::cmp::Reverse((when, seq))) = self.timers.peek().copied() {
            if when > Instant::now() {
                break;
            }
            self.timers.pop();
            if let Some(timer) = self.due.remove(&seq) {
                self.run(|store, node, out| store.on_timer(node, out, timer))?;
            }
        }
        Ok(())
    }

    /// Runs one handler, saves the node if its saved form changed, then lets its effects out.
    fn run(
        &mut self,
        handler: impl FnOnce(&S, &mut S::Node, &mut Effects<S::Message, S::Timer, S::Context>),
    ) -> Result<(), ServeError> {
        let clock_ms = self.clock_ms();
        let mut out = Effects::new(self.me, clock_ms);
        let (Some(store), Some(node)) = (&self.store, &mut self.state) else {
            return Ok(());
        };
        handler(store, node, &mut out);
        let saved = store.save(node);
        if let (Some(saved), Some(path)) = (saved, self.state_path()) {
            let text = saved.to_string();
            if self.last_saved.as_deref() != Some(text.as_str()) {
                write_state(&path, &text)?;
                self.last_saved = Some(text);
            }
        }
        let now = Instant::now();
        for (delay_ms, timer) in std::mem::take(&mut out.timers) {
            self.seq += 1;
            self.due.insert(self.seq, timer);
            self.timers.push(std::cmp::Reverse((
                now + Duration::from_millis(delay_ms),
                self.seq,
            )));
        }
        for (to, message) in std::mem::take(&mut out.sends) {
            let Some(dest) = self.node_ids.get(to.0 as usize).cloned() else {
                continue;
            };
            let msg = serde_json::to_value(&message).map_err(|error| {
                ServeError::Output(format!("a store message does not serialize: {error}"))
            })?;
            self.write(&dest, json!({"type": "store", "msg": msg}))?;
        }
        for (request, reply) in std::mem::take(&mut out.replies) {
            let Some((client, msg_id, answer)) = self.requests.remove(&request.0) else {
                continue;
            };
            let body = match reply {
                Reply::Read {
                    versions, context, ..
                } => {
                    let (tombstones, values): (Vec<_>, Vec<_>) =
                        versions.into_iter().partition(|read| read.tombstone);
                    let names = |reads: Vec<crate::history::ReadValue>| -> Vec<String> {
                        reads
                            .into_iter()
                            .map(|read| read.value.0.to_string())
                            .collect()
                    };
                    let context = serde_json::to_value(&context).map_err(|error| {
                        ServeError::Output(format!("a context does not serialize: {error}"))
                    })?;
                    json!({"type": "get_ok", "values": names(values),
                        "tombstones": names(tombstones), "context": context})
                }
                Reply::Written { .. } => json!({"type": answer}),
                Reply::Failed { .. } if answer == "get_ok" => json!({"type": "error", "code": 11,
                    "text": "the read did not reach its read quorum in time"}),
                Reply::Failed { .. } => json!({"type": "error", "code": 0,
                    "text": "the write did not reach its write quorum in time; it may still take effect"}),
            };
            let mut body = body;
            body["in_reply_to"] = msg_id;
            self.write(&client, body)?;
        }
        Ok(())
    }

    fn write(&mut self, dest: &str, mut body: Json) -> Result<(), ServeError> {
        if body.get("in_reply_to").is_some_and(Json::is_null) {
            body.as_object_mut().map(|body| body.remove("in_reply_to"));
        }
        let src = self
            .node_ids
            .get(self.me.0 as usize)
            .cloned()
            .unwrap_or_default();
        let message = json!({"src": src, "dest": dest, "body": body});
        writeln!(self.output, "{message}")
            .and_then(|()| self.output.flush())
            .map_err(|error| ServeError::Output(error.to_string()))
    }
}

fn read_state(path: &Path) -> Result<Json, ServeError> {
    let error = |reason: String| ServeError::State {
        path: path.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| error(format!("cannot read: {e}")))?;
    serde_json::from_str(&text).map_err(|e| error(format!("not JSON: {e}")))
}

fn write_state(path: &Path, text: &str) -> Result<(), ServeError> {
    let error = |reason: String| ServeError::State {
        path: path.display().to_string(),
        reason,
    };
    let temporary = path.with_extension("json.tmp");
    std::fs::write(&temporary, text).map_err(|e| error(format!("cannot write: {e}")))?;
    std::fs::rename(&temporary, path).map_err(|e| error(format!("cannot replace: {e}")))
}

/// The `key` of a client's request, or error 12 (malformed) naming the request `kind`.
fn key_of(body: &Json, kind: &str) -> Result<Key, (u32, String)> {
    match body.get("key") {
        Some(Json::String(key)) => Ok(Key::from(key.as_str())),
        Some(Json::Number(key)) => Ok(Key::from(key.to_string())),
        _ => Err((12, format!("{kind}: \"key\" must be a string or a number"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    /// A one-node reference store on scripted input: what it writes, and what its folder keeps.
    fn run(lines: &[&str], dir: Option<&Path>) -> (Vec<Json>, String) {
        let input = std::io::Cursor::new(lines.join("\n").into_bytes());
        let mut output = Vec::new();
        let mut log = Vec::new();
        let build = |cluster: &Cluster| {
            let config = Config {
                nodes: cluster.node_ids.len() as u32,
                n: 1,
                r: 1,
                w: 1,
                anti_entropy_period_ms: None,
                ..Config::default()
            };
            Dynamo::new(config).map_err(|error| error.to_string())
        };
        let options = ServeOptions {
            node_dir: dir.map(Path::to_path_buf),
        };
        serve_io(build, &options, input, &mut output, &mut log).unwrap();
        let messages = String::from_utf8(output)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        (messages, String::from_utf8(log).unwrap())
    }

    const INIT: &str = r#"{"src":"c0","dest":"n0","body":{"type":"init","msg_id":1,"node_id":"n0","node_ids":["n0"]}}"#;

    #[test]
    fn a_node_answers_mvr_kv_and_skips_what_does_not_read() {
        let (messages, log) = run(
            &[
                INIT,
                "not json",
                r#"{"src":"c1","dest":"n0","body":{"type":"put","msg_id":2,"key":"k","value":"a"}}"#,
                r#"{"src":"c1","dest":"n0","body":{"type":"get","msg_id":3,"key":"k"}}"#,
                r#"{"src":"c1","dest":"n0","body":{"type":"cas","msg_id":4,"key":"k"}}"#,
                r#"{"src":"c1","dest":"n0","body":{"type":"put","msg_id":5,"key":"k","value":"b","context":"x"}}"#,
            ],
            None,
        );
        let bodies: Vec<&Json> = messages.iter().map(|message| &message["body"]).collect();
        assert_eq!(bodies[0]["type"], "init_ok");
        assert_eq!(bodies[1], &json!({"type": "put_ok", "in_reply_to": 2}));
        assert_eq!(bodies[2]["type"], "get_ok");
        assert_eq!(bodies[2]["values"], json!(["a"]));
        assert_eq!(bodies[2]["context"], json!({"0": 1}));
        assert_eq!(
            (bodies[3]["code"].as_i64(), &bodies[3]["in_reply_to"]),
            (Some(10), &json!(4))
        );
        assert_eq!(bodies[4]["code"], 12, "a context that does not read");
        assert!(
            log.contains("line 2 of stdin skipped: not a JSON message"),
            "{log}"
        );
        assert!(messages.iter().all(|message| message["src"] == "n0"));
    }

    #[test]
    fn a_durable_node_restarts_with_what_it_acknowledged() {
        let dir = tempfile::tempdir().unwrap();
        let put =
            r#"{"src":"c1","dest":"n0","body":{"type":"put","msg_id":2,"key":"k","value":"a"}}"#;
        let (messages, _) = run(&[INIT, put], Some(dir.path()));
        assert_eq!(messages[1]["body"]["type"], "put_ok");
        assert!(dir.path().join("state.json").exists());
        let get = r#"{"src":"c1","dest":"n0","body":{"type":"get","msg_id":3,"key":"k"}}"#;
        let (messages, _) = run(&[INIT, get], Some(dir.path()));
        assert_eq!(messages[1]["body"]["values"], json!(["a"]));
        // A state file that does not read is an error naming it.
        std::fs::write(dir.path().join("state.json"), "{").unwrap();
        let input = std::io::Cursor::new(INIT.as_bytes().to_vec());
        let error = serve_io(
            |_: &Cluster| Dynamo::new(Config::default()).map_err(|e| e.to_string()),
            &ServeOptions {
                node_dir: Some(dir.path().to_path_buf()),
            },
            input,
            Vec::new(),
            &mut Vec::new(),
        )
        .unwrap_err();
        assert!(
            error.to_string().contains("state.json: not JSON"),
            "{error}"
        );
    }

    /// `snapshot` answers the node's own copy, and whether it is one of the key's home
    /// replicas (with one replica per key of two nodes, exactly one of them is).
    #[test]
    fn a_snapshot_is_the_nodes_own_copy_and_says_if_it_is_a_replica() {
        let init = |node: &str| {
            format!(
                r#"{{"src":"c0","dest":"{node}","body":{{"type":"init","msg_id":1,"node_id":"{node}","node_ids":["n0","n1"]}}}}"#
            )
        };
        let snapshot =
            r#"{"src":"c1","dest":"n0","body":{"type":"snapshot","msg_id":3,"key":"k"}}"#;
        let (n0, _) = run(&[&init("n0"), snapshot], None);
        let (n1, _) = run(&[&init("n1"), snapshot], None);
        let answers = [&n0[1]["body"], &n1[1]["body"]];
        for answer in answers {
            assert_eq!(answer["type"], "snapshot_ok", "{answer}");
            assert_eq!(answer["values"], json!([]));
            assert_eq!(answer["in_reply_to"], 3);
        }
        let replicas = answers
            .iter()
            .filter(|answer| answer["replica"] == json!(true))
            .count();
        assert_eq!(replicas, 1, "{answers:?}");
        // On one node, a put's value is in its copy; a snapshot without a key is malformed.
        let put =
            r#"{"src":"c1","dest":"n0","body":{"type":"put","msg_id":2,"key":"k","value":"a"}}"#;
        let keyless = r#"{"src":"c1","dest":"n0","body":{"type":"snapshot","msg_id":4}}"#;
        let (messages, _) = run(&[INIT, put, snapshot, keyless], None);
        assert_eq!(messages[2]["body"]["values"], json!(["a"]));
        assert_eq!(messages[2]["body"]["replica"], true);
        assert_eq!(messages[3]["body"]["code"], 12);
    }
}
