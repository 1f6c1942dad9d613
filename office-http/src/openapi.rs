//! The OpenAPI 3.1 document (`GET /openapi.json`) and its viewer (`GET /docs`, Swagger UI
//! vendored under `assets/swagger-ui`, served from the binary so it works offline).
//!
//! The document is built from the route table (`api::Api`): each route carries its
//! operation, written with the helpers here, whose schemas come from the handlers' own
//! types (`bodies`, the core's job model) and whose form fields come from the same
//! `FormSpec` the form reader accepts.

use crate::api::{Api, Op};
use crate::bodies;
use crate::form::{FormSpec, GENERATOR_FIELD, PARENT_FIELD};
use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use std::sync::{Arc, OnceLock};
use utoipa::ToSchema;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{
    ArrayBuilder, ComponentsBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type,
};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathItem, PathsBuilder, Ref, RefOr,
    Required, ResponseBuilder,
};

const JSON: &str = "application/json";
const SSE: &str = "text/event-stream";
const BEARER: &str = "bearer";

/// The operation helpers every route module uses.
pub trait Describe: Sized {
    /// A path parameter (a string).
    fn path_param(self, name: &str, description: &str) -> Self;
    /// An optional query parameter with `schema`.
    fn query_param(self, name: &str, schema: impl Into<RefOr<Schema>>, description: &str) -> Self;
    /// An optional header parameter (a string).
    fn header_param(self, name: &str, description: &str) -> Self;
    /// A JSON response of type `T`.
    fn json<T: ToSchema>(self, status: u16, description: &str) -> Self;
    /// A JSON response of any object (summary.json, the document itself).
    fn json_object(self, status: u16, description: &str) -> Self;
    /// A response of one of `content_types` with a body of bytes.
    fn bytes(self, status: u16, description: &str, content_types: &[&str]) -> Self;
    /// Error responses, each with the `{"detail": ...}` body.
    fn errors(self, statuses: &[u16]) -> Self;
    /// A `multipart/form-data` body with the fields `spec` accepts.
    fn form(self, spec: &FormSpec, required: &[&str]) -> Self;
    /// Needs a bearer key when the server has `OFFICE_API_KEYS` or `OFFICE_API_KEYS_FILE`
    /// (401 otherwise).
    fn protected(self) -> Self;
}

/// An operation: its tag (the group it is shown under), a unique id and a summary.
pub fn op(tag: &str, id: &str, summary: &str) -> OperationBuilder {
    OperationBuilder::new()
        .tag(tag)
        .operation_id(Some(id))
        .summary(Some(summary))
}

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn binary() -> ObjectBuilder {
    string().format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
}

fn schema_ref<T: ToSchema>() -> Ref {
    Ref::from_schema_name(T::name())
}

impl Describe for OperationBuilder {
    fn path_param(self, name: &str, description: &str) -> Self {
        self.parameter(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .description(Some(description))
                .schema(Some(string())),
        )
    }

    fn query_param(self, name: &str, schema: impl Into<RefOr<Schema>>, description: &str) -> Self {
        self.parameter(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .description(Some(description))
                .schema(Some(schema)),
        )
    }

    fn header_param(self, name: &str, description: &str) -> Self {
        self.parameter(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(description))
                .schema(Some(string())),
        )
    }

    fn json<T: ToSchema>(self, status: u16, description: &str) -> Self {
        self.response(
            status.to_string(),
            ResponseBuilder::new().description(description).content(
                JSON,
                ContentBuilder::new()
                    .schema(Some(schema_ref::<T>()))
                    .build(),
            ),
        )
    }

    fn json_object(self, status: u16, description: &str) -> Self {
        self.response(
            status.to_string(),
            ResponseBuilder::new().description(description).content(
                JSON,
                ContentBuilder::new()
                    .schema(Some(ObjectBuilder::new().schema_type(Type::Object)))
                    .build(),
            ),
        )
    }

    fn bytes(self, status: u16, description: &str, content_types: &[&str]) -> Self {
        let mut response = ResponseBuilder::new().description(description);
        for content_type in content_types {
            response = response.content(
                *content_type,
                ContentBuilder::new().schema(Some(binary())).build(),
            );
        }
        self.response(status.to_string(), response)
    }

    fn errors(mut self, statuses: &[u16]) -> Self {
        for status in statuses {
            let description = match status {
                400 => "A file cannot be read (corrupt, encrypted, empty, unsupported).",
                401 => {
                    "No valid bearer key (only when the server has OFFICE_API_KEYS or OFFICE_API_KEYS_FILE)."
                }
                404 => "No such job of this kind (or another tenant's), or no such artifact.",
                409 => "The job has not made this yet (it is still running, or failed).",
                413 => {
                    "The upload is larger than the server's limit, or than the tenant's quota                      (per job, or of files kept in total)."
                }
                429 => {
                    "The tenant is at a quota (jobs queued, submissions per minute):                      `Retry-After` says when to try again."
                }
                422 => "A field is missing or invalid, or the program was rejected.",
                507 => "The server's disk is full: nothing was stored.",
                503 => {
                    "The artifact store (an object store) is not answering; the message names it. Try again later."
                }
                _ => "An error.",
            };
            self = self.json::<bodies::ErrorBody>(*status, description);
        }
        self
    }

    fn form(self, spec: &FormSpec, required: &[&str]) -> Self {
        let mut object = ObjectBuilder::new()
            .schema_type(Type::Object)
            // Any other field is refused with 422, naming the accepted ones.
            .additional_properties(Some(
                utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
            ));
        for name in spec.texts {
            let schema = if *name == GENERATOR_FIELD {
                string().enum_values(Some(["auto", "planner", "llm"]))
            } else {
                string()
            };
            object = object.property(
                *name,
                schema.description(Some(field_description(name))).build(),
            );
        }
        for name in spec.files {
            let schema: Schema = if name.starts_with("files") {
                ArrayBuilder::new()
                    .items(binary())
                    .min_items(Some(1))
                    .description(Some(field_description(name)))
                    .into()
            } else {
                binary().description(Some(field_description(name))).into()
            };
            object = object.property(*name, schema);
        }
        for name in required {
            object = object.required(*name);
        }
        // A required text field must hold more than white space (`Form::required_text`).
        let mut object = object.build();
        for name in required.iter().filter(|n| spec.texts.contains(n)) {
            if let Some(RefOr::T(Schema::Object(field))) = object.properties.get_mut(*name) {
                field.pattern = Some(r"\S".into());
            }
        }
        self.request_body(Some(
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .content(
                    "multipart/form-data",
                    ContentBuilder::new().schema(Some(object)).build(),
                )
                .build(),
        ))
    }

    fn protected(self) -> Self {
        // Either no key (a server without OFFICE_API_KEYS) or a bearer key.
        self.security(SecurityRequirement::default())
            .security(SecurityRequirement::new(BEARER, Vec::<String>::new()))
            .errors(&[401])
    }
}

/// What each form field means, for the document.
fn field_description(name: &str) -> &'static str {
    match name {
        "prompt" => "The request in plain language.",
        "file" => {
            "The workbook or CSV to work on (xlsx, xlsm, xls, xlsb, ods, csv, tsv). Required \
             unless `parent` is given; with `parent`, a file added to the parent's."
        }
        "files[]" => {
            "The files the report is about (one part per file). Required unless `parent` is \
             given; with `parent`, files added to the parent's."
        }
        "files" => "Same as `files[]`.",
        "title" => "The report's title.",
        "template" => "The report's template.",
        "notes" => "Notes the report should take into account.",
        PARENT_FIELD => {
            "A follow-up: the id of an earlier job that succeeded. The new job works on its \
             results (an excel job's output workbook; an analysis's or report's inputs and \
             result tables) and its generator sees that job's request, steps and program. The \
             job then records `parent` and `thread`. 404 when there is no such job, 409 when \
             it failed or has not finished."
        }
        GENERATOR_FIELD => {
            "Who writes the program: `auto` (the model when one is configured), `planner`, `llm`."
        }
        _ => "",
    }
}

/// Every schema the operations refer to, with the schemas those refer to.
fn components() -> Vec<(String, RefOr<Schema>)> {
    fn add<T: ToSchema>(into: &mut Vec<(String, RefOr<Schema>)>) {
        into.push((T::name().into_owned(), T::schema()));
        T::schemas(into);
    }
    let mut all = Vec::new();
    add::<office_core::Job>(&mut all);
    add::<bodies::JobList>(&mut all);
    add::<bodies::ArtifactList>(&mut all);
    add::<bodies::Deleted>(&mut all);
    add::<office_core::Thread>(&mut all);
    add::<bodies::Code>(&mut all);
    add::<bodies::EventList>(&mut all);
    add::<bodies::Health>(&mut all);
    add::<bodies::Examples>(&mut all);
    add::<office_core::SheetPage>(&mut all);
    add::<bodies::Live>(&mut all);
    add::<bodies::Ready>(&mut all);
    add::<bodies::ErrorBody>(&mut all);
    add::<bodies::UsageList>(&mut all);
    all
}

/// The document for the operations of the route table.
pub fn document(ops: &[Op]) -> OpenApi {
    let mut paths = PathsBuilder::new();
    for op in ops {
        paths = paths.path(
            op.path.clone(),
            PathItem::new(http_method(&op.method), op.operation.clone()),
        );
    }
    let components = ComponentsBuilder::new()
        .schemas_from_iter(components())
        .security_scheme(
            BEARER,
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        )
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("office")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Office files plus a request in plain language: a program is written, \
                     checked, run in a sandbox, and its results kept. Errors answer \
                     `{\"detail\": ...}` as FastAPI does.",
                ))
                .build(),
        )
        .paths(paths.build())
        .components(Some(components))
        .build()
}

fn http_method(method: &Method) -> HttpMethod {
    match *method {
        Method::POST => HttpMethod::Post,
        Method::PUT => HttpMethod::Put,
        Method::DELETE => HttpMethod::Delete,
        Method::PATCH => HttpMethod::Patch,
        Method::HEAD => HttpMethod::Head,
        Method::OPTIONS => HttpMethod::Options,
        Method::TRACE => HttpMethod::Trace,
        _ => HttpMethod::Get,
    }
}

const DOCS_HTML: &[u8] = include_bytes!("../assets/docs.html");
const DOCS_INIT: &[u8] = include_bytes!("../assets/docs-init.js");
const SWAGGER_JS: &[u8] = include_bytes!("../assets/swagger-ui/swagger-ui-bundle.js");
const SWAGGER_CSS: &[u8] = include_bytes!("../assets/swagger-ui/swagger-ui.css");

fn asset(content_type: &'static str, data: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        data,
    )
        .into_response()
}

/// The document as served, set once the whole route table (these routes too) is known.
pub type Served = Arc<OnceLock<Bytes>>;

/// `/openapi.json`, `/docs` and the viewer's files.
pub fn routes(document: Served) -> Api {
    let tag = "docs";
    Api::new()
        .route(
            Method::GET,
            "/openapi.json",
            get(move || {
                let json = document.get().cloned().unwrap_or_default();
                async move { ([(header::CONTENT_TYPE, JSON)], json) }
            }),
            op(tag, "openapi", "This document (OpenAPI 3.1)").json_object(200, "The document."),
        )
        .route(
            Method::GET,
            "/docs",
            get(|| async { asset("text/html; charset=utf-8", DOCS_HTML) }),
            op(tag, "docs", "An interactive viewer of this document").bytes(
                200,
                "The viewer's page.",
                &["text/html"],
            ),
        )
        .route(
            Method::GET,
            "/docs/init.js",
            get(|| async { asset("text/javascript; charset=utf-8", DOCS_INIT) }),
            op(tag, "docs_init", "The viewer's start script").bytes(
                200,
                "JavaScript.",
                &["text/javascript"],
            ),
        )
        .route(
            Method::GET,
            "/docs/swagger-ui-bundle.js",
            get(|| async { asset("text/javascript; charset=utf-8", SWAGGER_JS) }),
            op(tag, "docs_js", "The viewer (Swagger UI)").bytes(
                200,
                "JavaScript.",
                &["text/javascript"],
            ),
        )
        .route(
            Method::GET,
            "/docs/swagger-ui.css",
            get(|| async { asset("text/css; charset=utf-8", SWAGGER_CSS) }),
            op(tag, "docs_css", "The viewer's styles").bytes(200, "CSS.", &["text/css"]),
        )
}

/// The response media types of an events request, for `routes::events`.
pub(crate) fn events_responses(op: OperationBuilder) -> OperationBuilder {
    op.response(
        "200",
        ResponseBuilder::new()
            .description(
                "The events after `Last-Event-ID` (all without it). As JSON by default; \
                 with `Accept: text/event-stream` as a live stream (one SSE event per job \
                 event: `id` its number, `event` its type, `data` the event as JSON) that \
                 ends after the job's final status.",
            )
            .content(
                JSON,
                ContentBuilder::new()
                    .schema(Some(schema_ref::<bodies::EventList>()))
                    .build(),
            )
            .content(SSE, ContentBuilder::new().schema(Some(string())).build()),
    )
}

/// The `ToSchema` of a job status, for the list filter.
pub(crate) fn status_schema() -> RefOr<Schema> {
    schema_ref::<office_core::JobStatus>().into()
}

/// Any text, for query parameters.
pub(crate) fn text() -> Schema {
    string().into()
}

/// An integer from `min` up, for query parameters.
pub(crate) fn integer(min: f64, max: f64) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(min))
        .maximum(Some(max))
        .into()
}

/// `true` or `false`, for query parameters.
pub(crate) fn boolean() -> Schema {
    ObjectBuilder::new().schema_type(Type::Boolean).into()
}
