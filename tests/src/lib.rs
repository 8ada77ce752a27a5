//! End-to-end tests of Wangge devices syncing through a real relay; see `tests/sync/`.
