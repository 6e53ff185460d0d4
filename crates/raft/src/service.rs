//! The server side of node-to-node Raft traffic: the gRPC `RaftService` over a node's Raft handle.
//!
//! Each RPC decodes the openraft request from the envelope, hands it to Raft, and encodes either
//! the response or the `RaftError` Raft returned (which the client turns into a remote error).
//! An envelope that does not decode is answered with gRPC `INVALID_ARGUMENT`.

use std::sync::Arc;
use std::time::Instant;

use openraft::raft::{AppendEntriesRequest, AppendEntriesResponse};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tonic::Request;
use tonic::Response;
use tonic::Status;

use crate::codec::decode;
use crate::codec::encode;
use crate::contacts::PeerContacts;
use crate::proto::raft_reply;
use crate::proto::raft_service_server::RaftService;
use crate::proto::RaftReply;
use crate::proto::RaftRequest;
use crate::type_config::{Raft, TypeConfig};

/// Serves one node's Raft over gRPC.
#[derive(Clone)]
pub(crate) struct RaftGrpcService {
    raft: Raft,
    contacts: Arc<PeerContacts>,
}

impl std::fmt::Debug for RaftGrpcService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RaftGrpcService").finish_non_exhaustive()
    }
}

impl RaftGrpcService {
    pub(crate) fn new(raft: Raft, contacts: Arc<PeerContacts>) -> Self {
        Self { raft, contacts }
    }
}

fn decode_request<T: DeserializeOwned>(request: Request<RaftRequest>) -> Result<T, Status> {
    decode(&request.into_inner().payload, "raft request").map_err(|e| Status::invalid_argument(e.to_string()))
}

fn reply<T: Serialize, E: Serialize>(outcome: Result<T, E>) -> Result<Response<RaftReply>, Status> {
    let result = match outcome {
        Ok(response) => {
            raft_reply::Result::Ok(encode(&response, "raft response").map_err(|e| Status::internal(e.to_string()))?)
        }
        Err(error) => {
            raft_reply::Result::Error(encode(&error, "raft error").map_err(|e| Status::internal(e.to_string()))?)
        }
    };
    Ok(Response::new(RaftReply { result: Some(result) }))
}

#[tonic::async_trait]
impl RaftService for RaftGrpcService {
    async fn append_entries(&self, request: Request<RaftRequest>) -> Result<Response<RaftReply>, Status> {
        let rpc: AppendEntriesRequest<TypeConfig> = decode_request(request)?;
        let leader = rpc.vote.leader_id().voted_for();
        let outcome = self.raft.append_entries(rpc).await;
        // Any answer but "your vote is stale" means the sender is the leader this node follows.
        if let (Some(leader), Ok(response)) = (leader, &outcome) {
            if !matches!(response, AppendEntriesResponse::HigherVote(_)) {
                self.contacts.record_leader_heard(leader, Instant::now());
            }
        }
        reply(outcome)
    }

    async fn vote(&self, request: Request<RaftRequest>) -> Result<Response<RaftReply>, Status> {
        let rpc = decode_request(request)?;
        reply(self.raft.vote(rpc).await)
    }

    async fn install_snapshot(&self, request: Request<RaftRequest>) -> Result<Response<RaftReply>, Status> {
        let rpc = decode_request(request)?;
        reply(self.raft.install_snapshot(rpc).await)
    }
}

#[cfg(test)]
mod tests {
    use openraft::raft::VoteRequest;

    use super::*;
    use crate::type_config::NodeId;

    #[test]
    fn an_undecodable_request_is_invalid_argument() {
        let request = Request::new(RaftRequest { payload: vec![0xff; 3] });
        let Err(status) = decode_request::<VoteRequest<NodeId>>(request) else {
            unreachable!("garbage decoded");
        };
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
    }
}
