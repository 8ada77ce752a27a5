// Shapes crossing the IPC boundary: generated from the Rust types (ui/src/bindings).
export type * from '@/bindings';
