//! The clients of the controllable world: a step's invocation, its request and timeout, the
//! reply (and the write half of a read-modify-write or delete), the timeout's `info`.

use crate::history::Key;
use crate::history::{Action, ClientId, OpId, OpKind, Operation, Outcome, Value, Write};
use crate::sim::ClientOpKind;
use crate::stable_hash::splitmix64 as mix;
use crate::store::{Reply, Request, RequestAction, RequestId, Store};

use super::{identity, Endpoint, OpenOp, Payload, TimerItem, TimerKind, World};

impl<S: Store> World<'_, S> {
    pub(super) fn client_next(&mut self, client: u32, coordinator: u32) -> Result<(), String> {
        let slot = self
            .clients
            .get_mut(client as usize)
            .filter(|slot| slot.open.is_none())
            .ok_or_else(|| format!("client {client} is not idle"))?;
        let program = &self.scenario.clients[client as usize];
        let op = program
            .ops
            .get(slot.next_step)
            .ok_or_else(|| format!("client {client} has no step left"))?;
        let step = slot.next_step;
        slot.next_step += 1;
        if op.kind == ClientOpKind::Put {
            let value = Value::from(format!("c{client}.{step}"));
            let action = RequestAction::Put {
                value: value.clone(),
                context: S::Context::default(),
            };
            let write = Write {
                value,
                context: Vec::new(),
            };
            self.invoke(client, step, coordinator, action, Action::Put(write), false);
        } else {
            let recorded = Action::Get {
                values: Vec::new(),
                context: None,
            };
            let reading = op.kind != ClientOpKind::Get;
            self.invoke(
                client,
                step,
                coordinator,
                RequestAction::Get,
                recorded,
                reading,
            );
        }
        Ok(())
    }

    pub(super) fn invoke(
        &mut self,
        client: u32,
        step: usize,
        coordinator: u32,
        action: RequestAction<S::Context>,
        recorded: Action,
        reading: bool,
    ) {
        let key = Key::from(self.scenario.clients[client as usize].ops[step].key.clone());
        let time_ms_invoke = self.tick();
        let slot = &mut self.clients[client as usize];
        let request = RequestId((u64::from(client) << 32) | slot.requests);
        slot.requests += 1;
        let history = self.operations.len();
        self.operations.push(Operation {
            id: OpId(history as u64),
            client: ClientId(client),
            key: key.clone(),
            action: recorded,
            time_ms_invoke,
            time_ms_complete: None,
            outcome: Outcome::Info,
            meta: None,
        });
        slot.open = Some(OpenOp {
            step,
            history,
            request,
            reading,
            coordinator,
        });
        let phase = u64::from(matches!(action, RequestAction::Get));
        let name = identity(&[u64::from(client), step as u64, phase]);
        let node = self.store.route(&key, u64::from(coordinator));
        let request_body = Request {
            id: request,
            key,
            action,
        };
        let from = Endpoint::Client(client);
        if node.0 < self.store.nodes() {
            let payload = Payload::Request(Box::new(request_body));
            self.queue(name, from, Endpoint::Node(node.0), payload);
        }
        let timeout = mix(name ^ 0x7173_e0e7);
        self.timers.push(TimerItem {
            key: timeout,
            due_ms: self
                .now_ms
                .saturating_add(self.scenario.config.client_timeout_ms),
            kind: TimerKind::ClientTimeout { client, request },
            hash: identity(&[timeout, u64::from(client), request.0]),
        });
    }

    pub(super) fn drop_timeout(&mut self, client: u32, request: RequestId) {
        self.timers.retain(|timer| {
            !matches!(timer.kind, TimerKind::ClientTimeout { client: c, request: r }
                if c == client && r == request)
        });
    }

    pub(super) fn client_reply(
        &mut self,
        client: u32,
        request: RequestId,
        reply: Reply<S::Context>,
    ) {
        self.history_hash.set(None);
        let slot = &mut self.clients[client as usize];
        let Some(open) = slot.open.take_if(|open| open.request == request) else {
            if let Some(index) = self.abandoned.remove(&request) {
                crate::sim::record_abandoned_reply(&mut self.operations[index], reply);
            }
            return;
        };
        self.drop_timeout(client, request);
        let time_ms_complete = self.tick();
        let read =
            crate::sim::record_reply(&mut self.operations[open.history], reply, time_ms_complete);
        if let (true, Some((versions, context))) = (open.reading, read) {
            let kind = self.scenario.clients[client as usize].ops[open.step].kind;
            let (action, recorded) =
                crate::sim::write_after_read(client, open.step, kind, versions, context);
            self.invoke(client, open.step, open.coordinator, action, recorded, false);
        }
    }

    pub(super) fn client_timeout(&mut self, client: u32, request: RequestId) {
        let slot = &mut self.clients[client as usize];
        let Some(open) = slot.open.take_if(|open| open.request == request) else {
            return;
        };
        let time_ms_complete = self.tick();
        let operation = &mut self.operations[open.history];
        operation.outcome = Outcome::Info;
        operation.time_ms_complete = Some(time_ms_complete);
        if operation.kind() != OpKind::Get {
            self.abandoned.insert(request, open.history);
        }
    }
}
