//! The few words the trace and the timeline show for each of the reference store's messages
//! (`Store::describe`). This file owns only that wording; it must never change what a message
//! does, and nothing may parse its text back.

use std::fmt::Write as _;

use crate::store::Object;

use super::DynamoMessage;

/// The values of an object, `{a,b,†t}` (a tombstone marked †).
fn values(object: &Object) -> String {
    let mut text = String::from("{");
    for (position, version) in object.versions().enumerate() {
        if position > 0 {
            text.push(',');
        }
        if version.tombstone {
            text.push('†');
        }
        text.push_str(version.value.as_str());
    }
    text.push('}');
    text
}

/// `store k {c1.3}` (replication, or a repair the read waits for), `repair k {…}` (read repair
/// nobody waits for), `hint for n1: k {…}`; a repair that replaces instead of merging (the
/// `repair-overwrites` bug) says `REPLACE`.
pub(super) fn message(message: &DynamoMessage) -> String {
    match message {
        DynamoMessage::Store {
            key,
            object,
            ack,
            hint_for,
            replace,
        } => {
            let mut text = match (hint_for, ack) {
                (Some(home), _) => format!("hint for n{}: {key} {}", home.0, values(object)),
                (None, Some(_)) => format!("store {key} {}", values(object)),
                (None, None) => format!("repair {key} {}", values(object)),
            };
            if *replace {
                text.push_str(" REPLACE");
            }
            text
        }
        DynamoMessage::StoreAck { hint_for, .. } => match hint_for {
            Some(home) => format!("ack (hint for n{})", home.0),
            None => "ack".to_string(),
        },
        DynamoMessage::Read { key, fallback, .. } => {
            format!("read {key}{}", if *fallback { " (hints)" } else { "" })
        }
        DynamoMessage::ReadReply { object, .. } => match object {
            Some(object) => format!("holds {}", values(object)),
            None => "holds {}".to_string(),
        },
        DynamoMessage::Handoff { key, object, .. } => {
            format!("handoff {key} {}", values(object))
        }
        DynamoMessage::HandoffAck { key, .. } => format!("handoff ack {key}"),
        DynamoMessage::MerkleRoot { .. } => "merkle root".to_string(),
        DynamoMessage::MerkleBuckets { buckets } => format!("merkle {} buckets", buckets.len()),
        DynamoMessage::MerkleObjects {
            objects, answer, ..
        } => {
            let mut text = String::from("merkle objects");
            for (key, object) in objects {
                let _ = write!(text, " {key} {}", values(object));
            }
            if *answer {
                text.push_str(" (answer)");
            }
            text
        }
        DynamoMessage::ReapQuery { key, .. } => format!("reap? {key}"),
        DynamoMessage::ReapReply { key, holds, .. } => {
            format!("reap {key}: {}", if *holds { "yes" } else { "no" })
        }
    }
}
