//! The OpenAPI document served at `/api/v1/openapi.json` (a test checks that every route of the
//! router is in it, and that it is valid JSON).

/// OpenAPI 3.1 description of `/api/v1`.
pub const OPENAPI: &str = include_str!("openapi.json");
