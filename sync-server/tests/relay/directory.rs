//! `GET /v1/directory` over the real relay: units for everyone, people only for those who
//! direct work, and only the people under their scopes.

use uuid::Uuid;
use wangge_relay::{EnrollResponse, admin};
use wangge_schema::Role;
use wangge_schema::directory::{DIRECTORY_PATH, Directory, DirectoryPerson};

use crate::helpers::*;

/// Adds a user named `name` and enrolls a device; returns the user's id and its token.
async fn person(relay: &TestRelay, name: &str, role: &str, scopes: &[&str]) -> (Uuid, String) {
    let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
    let code = relay.with_store(|s| {
        let user = admin::add_user(s, name, role, &scopes).expect("user");
        admin::enroll_code(s, user, 1)
            .expect("code")
            .expose()
            .to_owned()
    });
    let (status, body) = relay.post_enroll(&format!("{{\"code\":\"{code}\"}}")).await;
    assert_eq!(status, 200, "{body}");
    let enrolled: EnrollResponse = serde_json::from_str(&body).expect("enroll json");
    (enrolled.user_id, enrolled.token)
}

async fn directory(relay: &TestRelay, token: &str) -> Directory {
    let (status, body) = http_as(relay.addr, token, "GET", DIRECTORY_PATH, "").await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).expect("a directory")
}

fn ids(people: &[DirectoryPerson]) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = people.iter().map(|p| p.id).collect();
    ids.sort();
    ids
}

fn sorted(mut ids: Vec<Uuid>) -> Vec<Uuid> {
    ids.sort();
    ids
}

#[tokio::test]
async fn the_directory_names_people_only_to_those_who_direct_work_and_only_those_under_them() {
    let relay = spawn_relay().await;
    let (centre, centre_token) = person(&relay, "街道指挥中心", "centre", &[STREET]).await;
    let (chief, chief_token) = person(&relay, "赵总网格长", "chief-leader", &[COMMUNITY]).await;
    let (leader, leader_token) = person(&relay, "王网格长", "leader", &[GRID_A, GRID_B]).await;
    let (member, member_token) = person(&relay, "张三", "member", &[GRID_A]).await;
    let (far, _) = person(&relay, "李四", "member", &[GRID_C]).await;

    let d = directory(&relay, &centre_token).await;
    assert_eq!(
        ids(&d.people),
        sorted(vec![centre, chief, leader, member]),
        "not the other street's member"
    );
    assert!(!ids(&d.people).contains(&far));
    let listed = d.people.iter().find(|p| p.id == leader).expect("leader");
    assert_eq!(
        (listed.name.as_str(), listed.role, listed.scopes.clone()),
        (
            "王网格长",
            Role::Leader,
            vec![GRID_A.to_owned(), GRID_B.to_owned()]
        )
    );
    let codes: Vec<&str> = d.units.iter().map(|u| u.code.as_str()).collect();
    assert_eq!(codes, [STREET, COMMUNITY, GRID_A, GRID_B]);

    let d = directory(&relay, &chief_token).await;
    assert_eq!(ids(&d.people), sorted(vec![chief, leader, member]));
    let d = directory(&relay, &leader_token).await;
    assert_eq!(
        ids(&d.people),
        sorted(vec![leader, member]),
        "the community's chief is not under a leader's grids"
    );

    // A member works with units, not a list of people: its grid, and the community and
    // street above it (where notices and campaigns come from), by name.
    let d = directory(&relay, &member_token).await;
    assert!(d.people.is_empty());
    let codes: Vec<&str> = d.units.iter().map(|u| u.code.as_str()).collect();
    assert_eq!(codes, [STREET, COMMUNITY, GRID_A]);
    let (status, body) = http_as(relay.addr, &member_token, "GET", DIRECTORY_PATH, "").await;
    assert_eq!(status, 200);
    assert!(body.contains("\"people\":[]"), "{body}");
    relay.stop().await;
}
