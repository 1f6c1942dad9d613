//! OpenAPI schemas for the types whose JSON is written by hand (feature `openapi`).

use crate::cells::Cell;
use crate::job::{ErrorCode, JobId};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaFormat, Type};

impl utoipa::PartialSchema for ErrorCode {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("A job error's stable code."))
            .enum_values(Some(ErrorCode::ALL.iter().map(|c| c.as_str())))
            .into()
    }
}

impl utoipa::ToSchema for ErrorCode {}

impl utoipa::PartialSchema for JobId {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::Custom("uuid".into())))
            .description(Some("A job's id (a UUID v7)."))
            .into()
    }
}

impl utoipa::ToSchema for JobId {}

impl utoipa::PartialSchema for Cell {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                Type::Null,
                Type::Boolean,
                Type::Number,
                Type::String,
            ]))
            .description(Some(
                "A cell's value: null (empty), a boolean, a number or text.",
            ))
            .into()
    }
}

impl utoipa::ToSchema for Cell {}
