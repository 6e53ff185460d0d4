#![allow(clippy::unwrap_used)]

use super::*;

const CONFIG: GroupConfig = GroupConfig {
    min_session_timeout_ms: 6_000,
    max_session_timeout_ms: 1_800_000,
    initial_rebalance_delay_ms: 3_000,
    max_size: 100,
    new_member_join_timeout_ms: 300_000,
    offset_metadata_max_bytes: 4_096,
};

fn request(member_id: &str, instance: Option<&str>, protocols: &[&str]) -> JoinRequest {
    JoinRequest {
        member_id: member_id.to_owned(),
        group_instance_id: instance.map(str::to_owned),
        client_id: "client".to_owned(),
        client_host: "/127.0.0.1".to_owned(),
        session_timeout_ms: 10_000,
        rebalance_timeout_ms: 30_000,
        protocol_type: "consumer".to_owned(),
        protocols: protocols.iter().map(|p| ((*p).to_owned(), Bytes::from(format!("meta-{p}")))).collect(),
        require_known_member_id: true,
        supports_skip_assignment: true,
    }
}

fn parked<T: std::fmt::Debug>(reply: Reply<T>) -> String {
    match reply {
        Reply::Parked { member_id } => member_id,
        Reply::Now(r) => panic!("expected a parked reply, got {r:?}"),
    }
}

fn now<T: std::fmt::Debug>(reply: Reply<T>) -> T {
    match reply {
        Reply::Now(r) => r,
        Reply::Parked { member_id } => panic!("expected an answer, got parked {member_id}"),
    }
}

fn join_of<'a>(fx: &'a Effects, member_id: &str) -> &'a JoinResponse {
    fx.joins.iter().find(|(id, _)| id == member_id).map(|(_, r)| r).unwrap_or_else(|| panic!("no join for {member_id}"))
}

/// Joins a new dynamic member the v4+ way (MEMBER_ID_REQUIRED, then a rejoin), returning its id.
fn join_new(group: &mut ClassicGroup, name: &str, at_ms: i64) -> (String, Effects) {
    let (reply, fx) = group.join(request("", None, &["range"]), name.to_owned(), &CONFIG, at_ms);
    assert!(fx.is_empty());
    let first = now(reply);
    assert_eq!(first.error, Some(GroupError::MemberIdRequired));
    assert_eq!(first.member_id, name);
    let (reply, fx) = group.join(request(name, None, &["range"]), "unused".to_owned(), &CONFIG, at_ms);
    (parked(reply), fx)
}

/// Two members through a first rebalance to Stable; returns (group, leader, follower).
fn stable_pair() -> (ClassicGroup, String, String) {
    let mut group = ClassicGroup::new("g", 0);
    let (a, fx) = join_new(&mut group, "a", 0);
    assert!(fx.is_empty(), "the initial delay holds the first join");
    assert_eq!(group.state(), GroupState::PreparingRebalance);
    let (b, _) = join_new(&mut group, "b", 1_000);
    // The delay was extended once because b arrived during it.
    assert!(group.tick(&CONFIG, 3_000).is_empty());
    let fx = group.tick(&CONFIG, 6_000);
    assert_eq!(group.state(), GroupState::CompletingRebalance);
    assert_eq!(group.generation_id(), 1);
    let leader = join_of(&fx, &a);
    assert_eq!(leader.leader_id, a);
    assert_eq!(leader.members.len(), 2);
    assert_eq!(leader.protocol_name.as_deref(), Some("range"));
    assert!(join_of(&fx, &b).members.is_empty(), "only the leader learns the members");

    let (reply, fx) = group.sync(sync(&b, 1, vec![]), 6_100);
    assert_eq!(parked(reply), b);
    assert!(fx.is_empty());
    let (reply, fx) = group.sync(sync(&a, 1, vec![(a.clone(), "A"), (b.clone(), "B")]), 6_200);
    assert_eq!(parked(reply), a);
    let [write] = &fx.writes[..] else { panic!("one write expected: {fx:?}") };
    assert_eq!(group.state(), GroupState::CompletingRebalance, "not stable before the write");
    let fx = group.after_write(write.then.clone(), Ok(()), &CONFIG, 6_300);
    assert_eq!(group.state(), GroupState::Stable);
    assert_eq!(fx.syncs.len(), 2);
    for (id, response) in &fx.syncs {
        let expected = if *id == a { "A" } else { "B" };
        assert_eq!(response.assignment, Bytes::from(expected), "{id}");
    }
    (group, a, b)
}

fn sync(member_id: &str, generation_id: i32, assignments: Vec<(String, &str)>) -> SyncRequest {
    SyncRequest {
        member_id: member_id.to_owned(),
        group_instance_id: None,
        generation_id,
        protocol_type: Some("consumer".to_owned()),
        protocol_name: Some("range".to_owned()),
        assignments: assignments.into_iter().map(|(m, a)| (m, Bytes::from(a.to_owned()))).collect(),
    }
}

#[test]
fn two_members_rebalance_to_stable() {
    let (group, a, _) = stable_pair();
    assert_eq!(group.leader_id(), Some(a.as_str()));
    let value = group.to_value();
    assert_eq!(value.generation_id, 1);
    assert_eq!(value.members.len(), 2);
}

#[test]
fn a_new_member_makes_everyone_rejoin() {
    let (mut group, a, b) = stable_pair();
    let (c, fx) = join_new(&mut group, "c", 7_000);
    assert!(fx.joins.is_empty());
    assert_eq!(group.state(), GroupState::PreparingRebalance);
    assert_eq!(group.heartbeat(&a, None, 1, 7_100), Err(GroupError::RebalanceInProgress));
    let (reply, fx) = group.join(request(&a, None, &["range"]), String::new(), &CONFIG, 7_200);
    assert_eq!(parked(reply), a);
    assert!(fx.joins.is_empty(), "b has not rejoined");
    let (_, fx) = group.join(request(&b, None, &["range"]), String::new(), &CONFIG, 7_300);
    // No initial delay for a group that was not empty: the last rejoin completes it.
    assert_eq!(fx.joins.len(), 3);
    assert_eq!(group.generation_id(), 2);
    assert_eq!(join_of(&fx, &a).members.len(), 3);
    assert_eq!(join_of(&fx, &c).generation_id, 2);
}

#[test]
fn a_member_that_does_not_rejoin_is_removed_at_the_rebalance_timeout() {
    let (mut group, a, b) = stable_pair();
    // a rejoins with new metadata: a rebalance begins; b keeps heartbeating but never rejoins.
    let (reply, _) = group.join(request(&a, None, &["range", "roundrobin"]), String::new(), &CONFIG, 10_000);
    parked(reply);
    for at_ms in [15_000, 25_000, 35_000] {
        assert_eq!(group.heartbeat(&b, None, 1, at_ms), Err(GroupError::RebalanceInProgress));
        assert!(group.tick(&CONFIG, at_ms).joins.is_empty());
    }
    assert!(group.tick(&CONFIG, 39_999).joins.is_empty());
    let fx = group.tick(&CONFIG, 40_000);
    assert_eq!(group.member_ids().into_iter().collect::<Vec<_>>(), vec![a.clone()]);
    assert_eq!(join_of(&fx, &a).generation_id, 2);
    assert_eq!(group.heartbeat(&b, None, 2, 40_001), Err(GroupError::UnknownMemberId));
}

#[test]
fn a_silent_member_expires_after_its_session_timeout() {
    let (mut group, a, b) = stable_pair();
    assert_eq!(group.heartbeat(&a, None, 1, 15_000), Ok(()));
    assert!(group.tick(&CONFIG, 16_299).is_empty(), "b was last heard at 6_300");
    let fx = group.tick(&CONFIG, 16_300);
    assert!(group.member(&b).is_none());
    assert_eq!(group.state(), GroupState::PreparingRebalance);
    assert!(fx.joins.is_empty());
    let (_, fx) = group.join(request(&a, None, &["range"]), String::new(), &CONFIG, 16_400);
    assert_eq!(join_of(&fx, &a).generation_id, 2);
    assert_eq!(group.state(), GroupState::CompletingRebalance);
}

#[test]
fn the_last_member_leaving_empties_the_group_and_writes_it() {
    let (mut group, a, b) = stable_pair();
    let (results, _) = group.leave(&[(b.clone(), None)], &CONFIG, 7_000);
    assert_eq!(results, vec![Ok(b.clone())]);
    let (results, fx) = group.leave(&[(a.clone(), None), ("nobody".into(), None)], &CONFIG, 7_100);
    assert_eq!(results, vec![Ok(a.clone()), Err(GroupError::UnknownMemberId)]);
    assert_eq!(group.state(), GroupState::Empty);
    assert_eq!(group.generation_id(), 2);
    assert_eq!(fx.writes.len(), 1);
    assert!(fx.writes[0].value.members.is_empty());
    // An Empty group accepts commits from consumers outside group management.
    assert_eq!(group.validate_offset_commit("", None, -1, 7_200), Ok(()));
}

#[test]
fn a_static_member_restarting_keeps_its_assignment_without_a_rebalance() {
    let mut group = ClassicGroup::new("g", 0);
    let (reply, _) = group.join(request("", Some("i1"), &["range"]), "i1-x".into(), &CONFIG, 0);
    let old = parked(reply);
    let fx = group.tick(&CONFIG, 3_000);
    assert_eq!(join_of(&fx, &old).generation_id, 1);
    let (_, fx) = group.sync(sync(&old, 1, vec![(old.clone(), "P0")]), 3_100);
    group.after_write(fx.writes[0].then.clone(), Ok(()), &CONFIG, 3_200);
    assert_eq!(group.state(), GroupState::Stable);

    // The process restarts and joins with its instance id and no member id.
    let (reply, fx) = group.join(request("", Some("i1"), &["range"]), "i1-y".into(), &CONFIG, 5_000);
    let new = parked(reply);
    assert_eq!(new, "i1-y");
    assert_eq!(group.state(), GroupState::Stable, "no rebalance");
    let [write] = &fx.writes[..] else { panic!("{fx:?}") };
    let fx = group.after_write(write.then.clone(), Ok(()), &CONFIG, 5_100);
    let response = join_of(&fx, &new);
    assert_eq!((response.error, response.generation_id, response.skip_assignment), (None, 1, true));
    assert_eq!(group.heartbeat(&old, Some("i1"), 1, 5_200), Err(GroupError::FencedInstanceId));
    let (reply, _) = group.sync(sync(&new, 1, vec![]), 5_300);
    assert_eq!(now(reply).assignment, Bytes::from("P0"));
}

#[test]
fn requests_that_do_not_fit_the_group_are_refused() {
    let (mut group, a, _) = stable_pair();
    let mut short = request("", None, &["range"]);
    short.session_timeout_ms = 1_000;
    assert_eq!(now(group.join(short, "x".into(), &CONFIG, 7_000).0).error, Some(GroupError::InvalidSessionTimeout));
    let mut other_type = request("", None, &["range"]);
    other_type.protocol_type = "connect".into();
    assert_eq!(
        now(group.join(other_type, "x".into(), &CONFIG, 7_000).0).error,
        Some(GroupError::InconsistentGroupProtocol)
    );
    assert_eq!(
        now(group.join(request("", None, &["sticky"]), "x".into(), &CONFIG, 7_000).0).error,
        Some(GroupError::InconsistentGroupProtocol)
    );
    assert_eq!(
        now(group.join(request("ghost", None, &["range"]), "x".into(), &CONFIG, 7_000).0).error,
        Some(GroupError::UnknownMemberId)
    );
    assert_eq!(group.heartbeat(&a, None, 0, 7_000), Err(GroupError::IllegalGeneration));
    assert_eq!(now(group.sync(sync(&a, 5, vec![]), 7_000).0).error, Some(GroupError::IllegalGeneration));
    assert_eq!(group.validate_offset_commit("", None, -1, 7_000), Err(GroupError::IllegalGeneration));
    assert_eq!(group.validate_offset_commit(&a, None, 1, 7_000), Ok(()));
}

#[test]
fn a_follower_rejoining_a_stable_group_with_the_same_metadata_gets_the_current_generation() {
    let (mut group, a, b) = stable_pair();
    let response = now(group.join(request(&b, None, &["range"]), String::new(), &CONFIG, 7_000).0);
    assert_eq!((response.error, response.generation_id, response.leader_id.as_str()), (None, 1, a.as_str()));
    assert_eq!(group.state(), GroupState::Stable);
}

#[test]
fn commits_during_completing_rebalance_are_refused_with_rebalance_in_progress() {
    let (mut group, a, b) = stable_pair();
    let (_, _) = group.join(request(&a, None, &["range"]), String::new(), &CONFIG, 7_000);
    assert_eq!(group.validate_offset_commit(&b, None, 1, 7_050), Ok(()), "PreparingRebalance still commits");
    let (_, fx) = group.join(request(&b, None, &["range"]), String::new(), &CONFIG, 7_100);
    assert_eq!(fx.joins.len(), 2);
    assert_eq!(group.validate_offset_commit(&b, None, 2, 7_200), Err(GroupError::RebalanceInProgress));
}

#[test]
fn a_failed_assignment_write_sends_members_back_to_rejoin() {
    let mut group = ClassicGroup::new("g", 0);
    let (a, _) = join_new(&mut group, "a", 0);
    group.tick(&CONFIG, 3_000);
    let (_, fx) = group.sync(sync(&a, 1, vec![(a.clone(), "A")]), 3_100);
    let fx = group.after_write(fx.writes[0].then.clone(), Err(GroupError::NotCoordinator), &CONFIG, 3_200);
    assert_eq!(fx.syncs, vec![(a.clone(), SyncResponse::failed(GroupError::NotCoordinator))]);
    assert_eq!(group.state(), GroupState::PreparingRebalance);
}

#[test]
fn the_protocol_most_members_prefer_among_those_all_support_wins() {
    let mut group = ClassicGroup::new("g", 0);
    let (reply, _) = group.join(request("", None, &["range", "roundrobin"]), "a".into(), &CONFIG, 0);
    let _ = now(reply);
    let (_, _) = group.join(request("a", None, &["range", "roundrobin"]), String::new(), &CONFIG, 0);
    let (_, _) = group.join(request("", None, &["roundrobin", "sticky"]), "b".into(), &CONFIG, 0);
    let (_, _) = group.join(request("b", None, &["roundrobin", "sticky"]), String::new(), &CONFIG, 0);
    let (_, _) = group.join(request("", None, &["roundrobin", "range"]), "c".into(), &CONFIG, 0);
    let (_, _) = group.join(request("c", None, &["roundrobin", "range"]), String::new(), &CONFIG, 0);
    // b and c arrived during the initial delay, so it runs once more.
    assert!(group.tick(&CONFIG, 3_000).joins.is_empty());
    let fx = group.tick(&CONFIG, 6_000);
    assert_eq!(join_of(&fx, "a").protocol_name.as_deref(), Some("roundrobin"));
}

#[test]
fn unloading_answers_every_parked_caller() {
    let mut group = ClassicGroup::new("g", 0);
    let (a, _) = join_new(&mut group, "a", 0);
    let fx = group.mark_dead(GroupError::NotCoordinator, 10);
    assert_eq!(join_of(&fx, &a).error, Some(GroupError::NotCoordinator));
    assert_eq!(group.heartbeat(&a, None, 0, 20), Err(GroupError::CoordinatorNotAvailable));
}

#[test]
fn a_group_survives_its_record() {
    let (group, a, b) = stable_pair();
    let loaded = ClassicGroup::from_value("g", group.to_value(), 50_000);
    assert_eq!(loaded.state(), GroupState::Stable);
    assert_eq!(loaded.generation_id(), 1);
    assert_eq!(loaded.leader_id(), Some(a.as_str()));
    assert_eq!(loaded.member(&b).map(|m| m.assignment.clone()), Some(Bytes::from("B")));
    assert_eq!(loaded.protocol_name(), Some("range"));
}

/// Random operations from a seed never break the group's invariants.
#[test]
fn seeded_random_operations_keep_the_invariants() {
    for seed in 0..200u64 {
        let mut rng = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let mut next = move |n: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % n
        };
        let mut group = ClassicGroup::new("g", 0);
        let mut clock = 0i64;
        let mut last_generation = 0;
        for step in 0..200 {
            clock += i64::try_from(next(4_000)).unwrap_or(0);
            let ids: Vec<String> = group.member_ids().into_iter().collect();
            let pick =
                |i: u64| ids.get(usize::try_from(i).unwrap_or(0) % ids.len().max(1)).cloned().unwrap_or_default();
            let fx = match next(7) {
                0 => group.join(request("", None, &["range"]), format!("m{step}"), &CONFIG, clock).1,
                1 => group.join(request(&format!("m{}", next(200)), None, &["range"]), String::new(), &CONFIG, clock).1,
                2 => {
                    let id = pick(next(10));
                    group.join(request(&id, None, &["range"]), String::new(), &CONFIG, clock).1
                }
                3 => {
                    let id = pick(next(10));
                    let assignments = ids.iter().map(|m| (m.clone(), "x")).collect();
                    group.sync(sync(&id, group.generation_id(), assignments), clock).1
                }
                4 => {
                    let id = pick(next(10));
                    let _ = group.heartbeat(&id, None, group.generation_id(), clock);
                    Effects::default()
                }
                5 => group.leave(&[(pick(next(10)), None)], &CONFIG, clock).1,
                _ => group.tick(&CONFIG, clock),
            };
            for write in fx.writes {
                let ok = if next(5) == 0 { Err(GroupError::NotCoordinator) } else { Ok(()) };
                group.after_write(write.then, ok, &CONFIG, clock);
            }
            assert!(group.generation_id() >= last_generation, "seed {seed}: generation went back");
            last_generation = group.generation_id();
            match group.leader_id() {
                Some(leader) => assert!(group.member(leader).is_some(), "seed {seed}: leader is not a member"),
                None => assert_eq!(group.member_count(), 0, "seed {seed}: members but no leader"),
            }
            if group.state() == GroupState::Empty {
                assert_eq!(group.member_count(), 0, "seed {seed}: Empty with members");
            }
            if matches!(group.state(), GroupState::Stable | GroupState::CompletingRebalance) {
                assert!(group.member_count() > 0, "seed {seed}: {} with no members", group.state());
            }
        }
    }
}
