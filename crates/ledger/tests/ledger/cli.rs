//! The `wangge-ledger dry-run` command, run as the built binary.

use std::process::Command;

use crate::corpus::*;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wangge-ledger"))
}

#[test]
fn dry_run_prints_the_report_as_json_and_exits_zero_with_problems() {
    let dir = tempfile::tempdir().unwrap();
    let p = people(13, 1);
    let file = dir.path().join("台账.xlsx");
    std::fs::write(&file, ledger_xlsx(&main_lines(&p))).unwrap();
    let out = bin()
        .args([
            "dry-run",
            file.to_str().unwrap(),
            "--grid",
            "110105001001001",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    for x in &p {
        assert!(!text.contains(&x.id) && !text.contains(&x.phone));
    }
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["household_count"], 3);
    assert_eq!(v["resident_count"], 6);
    assert_eq!(v["grid"], "110105001001001");
    assert_eq!(v["problems"][0]["row"], 8);
    assert_eq!(v["problems"][0]["column"], "C");
    assert_eq!(v["problems"][0]["code"], "id_number_rounded");
    assert_eq!(v["problems"][0]["sheet"], "居民台账");

    // The mapping printed, corrected and passed back.
    let mut mapping = v["mapping"].clone();
    mapping["sheets"][0]["columns"]
        .as_object_mut()
        .unwrap()
        .remove("tags");
    let mfile = dir.path().join("mapping.json");
    std::fs::write(&mfile, mapping.to_string()).unwrap();
    let out = bin()
        .args(["dry-run", file.to_str().unwrap(), "--mapping"])
        .arg(&mfile)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["resident_count"], 7);
}

#[test]
fn a_refused_file_exits_non_zero_with_its_code() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("photo.xlsx");
    std::fs::write(&file, [0x89, b'P', b'N', b'G', 0, 0, 0, 0]).unwrap();
    let out = bin()
        .args(["dry-run", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not_a_spreadsheet"), "{err}");
    let out = bin()
        .args(["dry-run", "/nonexistent.xlsx"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
