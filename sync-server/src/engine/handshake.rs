//! `join` → `peer`: the protocol version, the device's peer id, the extensions both sides
//! agree on, and the document kinds this relay accepts.

use std::collections::HashSet;
use std::time::Instant;

use tracing::info;
use wangge_proto::{
    FEATURE_DOC_REFUSED, FEATURE_HEADS_SUMMARY, FEATURE_SCOPE_PUSH, Message, PROTOCOL_VERSION,
    PeerId, PeerMetadata, WanggeCapabilities,
};
use wangge_schema::DocKind;

use super::hub::{ConnId, Fail, Hub, Output};
use crate::auth::peer_id_allowed;

/// The extensions this relay speaks.
const FEATURES: [&str; 3] = [
    FEATURE_SCOPE_PUSH,
    FEATURE_HEADS_SUMMARY,
    FEATURE_DOC_REFUSED,
];

impl Hub {
    /// Checks that a message comes from the joined peer and is meant for this relay.
    pub(super) fn check_ids(
        &self,
        peer: &PeerId,
        sender: &PeerId,
        target: &PeerId,
    ) -> Result<(), Fail> {
        if sender != peer {
            return Err(Fail("senderId does not match the joined peer id"));
        }
        if *target != self.relay_id {
            return Err(Fail("targetId is not this relay"));
        }
        Ok(())
    }

    pub(super) fn on_join(
        &mut self,
        conn: ConnId,
        sender: PeerId,
        versions: &[String],
        meta: Option<PeerMetadata>,
        now: Instant,
    ) -> Result<(), Fail> {
        if !versions.iter().any(|v| v == PROTOCOL_VERSION) {
            return Err(Fail(
                "unsupported protocol version; this relay speaks \"1\"",
            ));
        }
        let session = self.sessions.get_mut(&conn).ok_or(Fail("no session"))?;
        if !peer_id_allowed(session.auth.device_id, &sender) {
            return Err(Fail("peer id is not bound to this device"));
        }
        let ours = WanggeCapabilities::new(FEATURES);
        // A Wangge peer learns the kinds this relay takes, so a newer app holds back
        // documents of kinds this relay does not know yet instead of offering them.
        let agreed = meta
            .as_ref()
            .and_then(|m| m.wangge.as_ref())
            .map(|theirs| theirs.intersect(&ours).with_kinds(DocKind::codes()));
        let has = |f| agreed.as_ref().is_some_and(|w| w.has(f));
        session.push = has(FEATURE_SCOPE_PUSH);
        session.summary = has(FEATURE_HEADS_SUMMARY);
        session.refusals = has(FEATURE_DOC_REFUSED);
        session.peer = Some(sender.clone());
        info!(conn, device = %session.auth.device_id, push = session.push, "peer joined");
        let reply = Message::Peer {
            sender_id: self.relay_id.clone(),
            target_id: sender,
            selected_protocol_version: PROTOCOL_VERSION.to_owned(),
            peer_metadata: Some(PeerMetadata {
                storage_id: None,
                is_ephemeral: false,
                wangge: agreed,
            }),
        };
        self.out.push(Output::Send {
            conn,
            bytes: reply.encode(),
        });
        // With a heads summary coming, the scope push waits for it (it then skips the
        // documents the device already holds).
        if self
            .sessions
            .get(&conn)
            .is_some_and(|s| s.push && !s.summary)
        {
            self.push_scope(conn, &HashSet::new(), now)?;
        }
        Ok(())
    }
}
