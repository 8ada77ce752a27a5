//! An event's chain of command over the real relay: a member files a photo-evidenced
//! report, the grid's leader, offline, accepts it and hands it to the member; once the
//! leader's phone is back, the relay (which checks every step's writer) takes the steps and
//! the member's phone derives the same event and has it on its to-do list. A step the
//! member's role never takes is refused on the device before anything is written.

use std::time::Duration;

use wangge_core::wangge_events::{ActionKind, Limit, Party, Refusal, State};
use wangge_core::*;

use crate::helpers::*;
use crate::photos::{camera_jpeg, file_report_with};

const WITHIN: Duration = Duration::from_secs(30);

fn state_of(d: &TestDevice, report: ReportId) -> Option<State> {
    d.with(|s| s.event_detail(report))
        .ok()
        .and_then(|e| e.state)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_accepts_offline_and_hands_over_and_the_member_sees_the_same_event() {
    let relay = spawn_relay().await;
    let mut member = TestDevice::new(&relay, GRID_A).await;
    let mut leader = TestDevice::from_enrollment(relay.enroll_user("leader", &[GRID_A]).await);
    assert_eq!(
        leader.with(|s| s.config().party.role),
        Party::Leader,
        "the party comes from the enrollment"
    );

    let (report, _) = file_report_with(
        &member,
        &[camera_jpeg(800, 600, 21, false)],
        &wangge_core::photos::Settings::default(),
    );
    assert_eq!(state_of(&member, report), Some(State::Pending));
    // A member never verifies: refused on the device, nothing written.
    let before = member.with(|s| s.event_steps(report).unwrap()).len();
    let refused = member.with(|s| s.verify_report(report, ""));
    assert!(
        matches!(
            refused,
            Err(CoreError::Refused(
                Refusal::WrongState | Refusal::NotDispatcher | Refusal::RoleMayNot
            ))
        ),
        "{refused:?}"
    );
    assert_eq!(
        member.with(|s| s.event_steps(report).unwrap()).len(),
        before
    );

    member.start(&relay.url(), fast());
    member.wait_synced(WITHIN).await;
    leader.start(&relay.url(), fast());
    eventually(WITHIN, "the leader has the report pending", || {
        state_of(&leader, report) == Some(State::Pending)
    })
    .await;
    let allowed = leader.with(|s| s.event_detail(report).unwrap()).allowed;
    assert!(allowed.contains(&ActionKind::Accept), "{allowed:?}");

    // In the stairwell: no connection while the leader acts.
    leader.engine = None;
    leader
        .with(|s| s.accept_report(report, Limit::WorkingDays(5)))
        .unwrap();
    let member_id = member.enrolled.user_id;
    leader
        .with(|s| s.hand_over_report(report, member_id, "请上门核实"))
        .unwrap();
    assert_eq!(state_of(&member, report), Some(State::Pending), "not yet");

    leader.restart().await;
    leader.start(&relay.url(), fast());
    leader.wait_synced(WITHIN).await;
    let status = leader.engine.as_ref().unwrap().status().borrow().clone();
    assert_eq!(
        status.docs_waiting, 0,
        "the relay took the leader's steps: {status:?}"
    );
    eventually(WITHIN, "the member's phone has the hand-over", || {
        state_of(&member, report) == Some(State::InProgress)
    })
    .await;

    let mine = member.with(|s| s.event_detail(report).unwrap());
    let theirs = leader.with(|s| s.event_detail(report).unwrap());
    assert_eq!(mine.timeline, theirs.timeline, "one history on both phones");
    let kinds: Vec<ActionKind> = mine.timeline.iter().map(|t| t.kind).collect();
    assert_eq!(
        kinds,
        [ActionKind::File, ActionKind::Accept, ActionKind::HandOver]
    );
    assert_eq!(mine.first_responsible, Some(leader.enrolled.user_id));
    assert!(
        mine.allowed.contains(&ActionKind::Finish),
        "{:?}",
        mine.allowed
    );
    let tasks = member.with(|s| s.my_tasks().unwrap());
    assert!(
        tasks.iter().any(|t| t.report == report),
        "on the member's to-do list"
    );
    relay.stop().await;
}
