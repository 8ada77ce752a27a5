//! Replays every input a fuzz target ever failed on (`regressions/<target>/<name>`)
//! through that target's property, on stable: each file is a regression test. A new crash
//! found by `scripts/fuzz.sh` goes into that folder under a name saying what it broke.

use std::path::Path;

#[test]
fn every_recorded_failure_now_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions");
    let mut replayed = 0;
    for (name, target) in wangge_fuzz::TARGETS {
        let dir = root.join(name);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("readable regressions folder").path();
            let data = std::fs::read(&path).expect("readable regression input");
            wangge_fuzz::contain_panics();
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(outcome.is_ok(), "{name}: {} fails again", path.display());
            replayed += 1;
        }
    }
    assert!(
        replayed >= 3,
        "the recorded failures are all here ({replayed})"
    );
}

#[test]
fn the_guards_contain_automerges_panics_on_the_recorded_inputs() {
    wangge_fuzz::contain_panics();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions");
    // automerge panics (a key index overflow) while checking this change: not well formed.
    let bad_change =
        std::fs::read(root.join("change_chunks/automerge-key-overflow")).expect("input");
    let msg = automerge::sync::Message {
        heads: vec![],
        need: vec![],
        have: vec![],
        changes: bad_change.into(),
        flags: None,
        version: automerge::sync::MessageVersion::V2,
    };
    assert!(!wangge_schema::guard::changes_well_formed(&msg));
    // This one's bloom filter has zero bits: automerge takes it, then panics answering it
    // (a remainder by zero); the guarded answer is an error, not a crash.
    let bad_sync =
        std::fs::read(root.join("sync_message/automerge-bloom-divide-by-zero")).expect("input");
    let m = wangge_schema::guard::decode_sync(&bad_sync).expect("it decodes");
    let mut doc = automerge::Automerge::new();
    let mut state = automerge::sync::State::new();
    assert!(wangge_schema::guard::receive(&mut doc, &mut state, m));
    assert!(wangge_schema::guard::generate(&doc, &mut state).is_err());
}
