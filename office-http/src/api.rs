//! The route table: every route is added here together with its OpenAPI operation, so the
//! router and the document (`openapi::document`) are built from one list and cannot
//! drift apart. `Api::route` is the only way a route reaches the router.

use crate::AppState;
use axum::Router;
use axum::http::Method;
use axum::routing::MethodRouter;
use utoipa::openapi::path::{Operation, OperationBuilder};

/// One documented route: its method, its path (OpenAPI style, `{name}` also for axum's
/// `{*name}`) and what the document says about it.
#[derive(Clone)]
pub struct Op {
    pub method: Method,
    pub path: String,
    pub operation: Operation,
}

/// A router and the operations it serves.
pub struct Api {
    router: Router<AppState>,
    ops: Vec<Op>,
}

impl Default for Api {
    fn default() -> Self {
        Api::new()
    }
}

impl Api {
    pub fn new() -> Self {
        Api {
            router: Router::new(),
            ops: Vec::new(),
        }
    }

    /// Serves `handler` for `method` on `path` (axum syntax) and documents it.
    pub fn route(
        mut self,
        method: Method,
        path: &str,
        handler: MethodRouter<AppState>,
        operation: OperationBuilder,
    ) -> Self {
        self.router = self.router.route(path, handler);
        self.ops.push(Op {
            method,
            path: path.replace("{*", "{"),
            operation: operation.build(),
        });
        self
    }

    /// `other`'s routes under `prefix`.
    pub fn nest(mut self, prefix: &str, other: Api) -> Self {
        self.router = self.router.nest(prefix, other.router);
        self.ops.extend(other.ops.into_iter().map(|mut op| {
            op.path = format!("{prefix}{}", op.path);
            op
        }));
        self
    }

    /// `other`'s routes beside these.
    pub fn merge(mut self, other: Api) -> Self {
        self.router = self.router.merge(other.router);
        self.ops.extend(other.ops);
        self
    }

    /// Applies `f` to the router (a route layer, such as authentication); the routes stay.
    pub fn map_router(mut self, f: impl FnOnce(Router<AppState>) -> Router<AppState>) -> Self {
        self.router = f(self.router);
        self
    }

    /// The router and the operations it serves.
    pub fn into_parts(self) -> (Router<AppState>, Vec<Op>) {
        (self.router, self.ops)
    }
}
