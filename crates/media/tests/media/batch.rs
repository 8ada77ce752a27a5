use std::sync::Mutex;

use wangge_media::{
    DEFAULT_BATCH_BUDGET, Input, Settings, Stage, process, process_batch, workers_for_budget,
};

use crate::helpers::{jpeg, png, texture};

#[test]
fn a_batch_returns_results_in_input_order() {
    let a = jpeg(&texture(900, 700), 90, None);
    let b = png(&texture(300, 500));
    let text = b"not a photo".to_vec();
    let inputs = [
        Input::Bytes(&a),
        Input::Bytes(&text),
        Input::Bytes(&b),
        Input::Bytes(&[]),
    ];
    let done = Mutex::new(Vec::new());
    let results = process_batch(
        &inputs,
        &Settings::default(),
        DEFAULT_BATCH_BUDGET,
        &|i, p| {
            if p.stage == Stage::Done {
                done.lock().unwrap().push(i);
            }
        },
    );
    assert_eq!(results.len(), 4);
    let single = process(&a, &Settings::default(), &|_| {}).unwrap();
    assert_eq!(results[0].as_ref().unwrap().sha256, single.sha256);
    assert_eq!(results[1].as_ref().unwrap_err().code(), "not_an_image");
    assert_eq!(results[2].as_ref().unwrap().height, 500);
    assert_eq!(results[3].as_ref().unwrap_err().code(), "empty_file");
    let mut done = done.into_inner().unwrap();
    done.sort_unstable();
    assert_eq!(done, [0, 2]);
}

#[test]
fn the_memory_budget_bounds_the_workers() {
    assert_eq!(workers_for_budget(0), 1);
    assert_eq!(workers_for_budget(64 * 1024 * 1024), 1);
    let cpus = std::thread::available_parallelism().unwrap().get();
    assert_eq!(workers_for_budget(u64::MAX), cpus);
}
