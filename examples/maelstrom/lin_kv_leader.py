#!/usr/bin/env python3
"""A correct lin-kv node for Maelstrom's protocol, in Python 3 with the standard library only.

Every node forwards each client request to one leader, the first of the node ids (n0), which
holds the only copy of the data, applies requests one at a time and answers; the node that
forwarded relays the answer to the client. A request that cannot reach the leader (a partition,
a lost message, a killed leader) is never answered: the client times out and records it as
indefinite (info), which linearizability allows. The leader remembers every forwarded request it
answered (by forwarder and msg_id), so a duplicated message is answered again, never applied
twice. When QUORATE_NODE_DIR is set, the leader writes its state there before it answers, so a
kill -9 and a restart lose no acknowledged write.
"""

import json
import os
import sys

node_id = None
node_ids = []
store = {}  # key (as a string) -> value
answered = {}  # "forwarder msg_id" -> the reply body
pending = {}  # my forward msg_id -> (client, client msg_id)
# Unique across restarts of this node, so the leader's memory of answered requests stays right.
next_msg_id = os.getpid() * 1_000_000
state_path = None


def send(dest, body):
    sys.stdout.write(json.dumps({"src": node_id, "dest": dest, "body": body}) + "\n")
    sys.stdout.flush()


def save():
    if state_path is None:
        return
    temporary = state_path + ".tmp"
    with open(temporary, "w") as file:
        json.dump({"store": store, "answered": answered}, file)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, state_path)


def load():
    global store, answered
    if state_path is not None and os.path.exists(state_path):
        with open(state_path) as file:
            state = json.load(file)
        store, answered = state["store"], state["answered"]


def apply(request):
    """Applies a client request to the leader's store and returns the reply body."""
    key = str(request["key"])
    kind = request["type"]
    if kind == "read":
        if key not in store:
            return {"type": "error", "code": 20, "text": "key does not exist"}
        return {"type": "read_ok", "value": store[key]}
    if kind == "write":
        store[key] = request["value"]
        return {"type": "write_ok"}
    if kind == "cas":
        if key not in store:
            return {"type": "error", "code": 20, "text": "key does not exist"}
        if store[key] != request["from"]:
            return {"type": "error", "code": 22, "text": "current value is not from"}
        store[key] = request["to"]
        return {"type": "cas_ok"}
    return {"type": "error", "code": 10, "text": "not supported: " + kind}


def leader():
    return node_ids[0]


def handle(message):
    global node_id, node_ids, next_msg_id, state_path
    body = message["body"]
    kind = body["type"]
    if kind == "init":
        node_id, node_ids = body["node_id"], sorted(body["node_ids"], key=lambda n: int(n[1:]))
        if os.environ.get("QUORATE_NODE_DIR"):
            state_path = os.path.join(os.environ["QUORATE_NODE_DIR"], "state.json")
            load()
        print(f"{node_id}: pid {os.getpid()}, leader {leader()}", file=sys.stderr, flush=True)
        send(message["src"], {"type": "init_ok", "in_reply_to": body["msg_id"]})
    elif kind in ("read", "write", "cas"):
        if node_id == leader():
            reply = apply(body)
            save()
            reply["in_reply_to"] = body["msg_id"]
            send(message["src"], reply)
        else:
            next_msg_id += 1
            pending[next_msg_id] = (message["src"], body["msg_id"])
            send(leader(), {"type": "forward", "msg_id": next_msg_id, "request": body})
    elif kind == "forward":
        seen = f"{message['src']} {body['msg_id']}"
        if seen not in answered:
            answered[seen] = apply(body["request"])
            save()
        reply = {"type": "forward_ok", "in_reply_to": body["msg_id"], "reply": answered[seen]}
        send(message["src"], reply)
    elif kind == "forward_ok":
        waiting = pending.pop(body["in_reply_to"], None)
        if waiting is not None:
            client, client_msg_id = waiting
            reply = dict(body["reply"])
            reply["in_reply_to"] = client_msg_id
            send(client, reply)


def main():
    for line in sys.stdin:
        if line.strip():
            handle(json.loads(line))


if __name__ == "__main__":
    main()
