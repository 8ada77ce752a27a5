//! Enums stored as stable snake_case codes in documents and sent to the UI: the macro is
//! the schema's, so device and relay write codes the same way.

pub(crate) use wangge_schema::code_enum;
