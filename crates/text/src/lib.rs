//! What members type and paste, read without a store: the pinyin keys of a name (for
//! search and for matching), and readings pasted from a phone call or a WeChat group
//! ("张三 36.5，李四 36.8"), cut into pieces and found in a grid's roster.
//!
//! Nothing here touches the device's store, so the fuzz targets build it alone.

pub mod paste;
mod pinyin_keys;
pub mod roster;

pub use pinyin_keys::pinyin_keys;
