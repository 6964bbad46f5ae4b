//! One error type for every answer that is not a report: an HTTP status and a JSON body
//! `{kind, message, field?, nearest?, choices?}`. The engine's errors keep their kind (its
//! [`ErrorKind::http_status`] decides the status); the server adds its own kinds for what only a server
//! meets (a token, a body limit, a timeout, a panic).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sovra_engine::ErrorKind;

/// The JSON body of every error answer.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ErrorBody {
    /// What went wrong, as a machine name: the engine's kinds (`usage`, `not_found`, `bad_data`, `compute`,
    /// `external`, `cancelled`, `busy`) and the server's (`unauthorized`, `forbidden`, `too_large`,
    /// `not_acceptable`, `method_not_allowed`, `timeout`, `internal`).
    #[schemars(extend("enum" = error_kinds()))]
    pub kind: String,
    /// What went wrong, for people.
    pub message: String,
    /// The request field (or query parameter) at fault, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The nearest valid value, when the field names something unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nearest: Option<String>,
    /// The valid values, when few enough to list.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
}

/// The kinds only the server produces.
pub const SERVER_KINDS: &[&str] = &[
    "unauthorized",
    "forbidden",
    "too_large",
    "not_acceptable",
    "method_not_allowed",
    "timeout",
    "internal",
];

/// Every kind an error body can carry: the engine's, then the server's.
pub fn error_kinds() -> Vec<&'static str> {
    use ErrorKind::*;
    let engine = [Usage, NotFound, BadData, Compute, External, Cancelled, Busy];
    // A new engine kind must be listed above: this match stops compiling until it is.
    let _listed = |kind: ErrorKind| match kind {
        Usage | NotFound | BadData | Compute | External | Cancelled | Busy => (),
    };
    let mut kinds: Vec<&'static str> = engine.iter().map(|k| k.name()).collect();
    kinds.extend_from_slice(SERVER_KINDS);
    kinds
}

/// An error answer.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The JSON body (boxed: errors travel in `Result`s and should stay small).
    pub body: Box<ErrorBody>,
    /// Seconds for `Retry-After` (503 busy).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with a status, a kind and a message.
    pub fn new(status: StatusCode, kind: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: Box::new(ErrorBody {
                kind: kind.to_string(),
                message: message.into(),
                field: None,
                nearest: None,
                choices: Vec::new(),
            }),
            retry_after: None,
        }
    }

    /// A usage error (400) on a field.
    pub fn usage(field: &str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "usage", message).at(field)
    }

    /// A usage error (400) on no field in particular.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "usage", message)
    }

    /// Nothing here (404), with the valid choices and the nearest.
    pub fn not_found(
        message: impl Into<String>,
        choices: Vec<String>,
        nearest: Option<String>,
    ) -> Self {
        let mut e = ApiError::new(StatusCode::NOT_FOUND, "not_found", message);
        e.body.choices = choices;
        e.body.nearest = nearest;
        e
    }

    /// The server is at capacity (503), with `Retry-After`.
    pub fn busy(message: impl Into<String>, retry_after: u64) -> Self {
        let mut e = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", message);
        e.retry_after = Some(retry_after);
        e
    }

    /// A bug: a panic or a broken invariant (500). The server goes on.
    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// Names the field at fault (kept when already set).
    pub fn at(mut self, field: &str) -> Self {
        if self.body.field.is_none() {
            self.body.field = Some(field.to_string());
        }
        self
    }

    /// Sets the valid choices and the nearest one.
    pub fn choices(mut self, choices: Vec<String>, nearest: Option<String>) -> Self {
        self.body.choices = choices;
        self.body.nearest = nearest;
        self
    }

    /// The error of a panic's payload.
    pub fn from_panic(payload: &(dyn std::any::Any + Send)) -> Self {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".to_string());
        ApiError::internal(format!(
            "internal error (a bug in sovra; the server goes on): {what}"
        ))
    }

    /// The status and kind of an HTTP status that some layer answered without a body of ours.
    pub fn for_status(status: StatusCode, text: &str) -> Self {
        let kind = match status.as_u16() {
            401 => "unauthorized",
            403 => "forbidden",
            404 => "not_found",
            405 => "method_not_allowed",
            406 => "not_acceptable",
            408 | 504 => "timeout",
            413 => "too_large",
            503 => "busy",
            500..=599 => "internal",
            _ => "usage",
        };
        let reason = status.canonical_reason().unwrap_or("error").to_lowercase();
        let message = if text.trim().is_empty() {
            reason
        } else {
            format!("{reason}: {}", text.trim())
        };
        ApiError::new(status, kind, message)
    }
}

impl From<sovra_engine::Error> for ApiError {
    fn from(e: sovra_engine::Error) -> Self {
        let status =
            StatusCode::from_u16(e.kind.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        ApiError {
            status,
            body: Box::new(ErrorBody {
                kind: e.kind.name().to_string(),
                message: e.message,
                field: e.field,
                nearest: e.nearest,
                choices: e.choices,
            }),
            retry_after: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let json = serde_json::to_vec(&self.body).unwrap_or_else(|_| b"{}".to_vec());
        let mut response = (self.status, json).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"sovra\""),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_errors_keep_kind_field_and_choices() {
        let mut e = sovra_engine::Error::usage("us", "region 'DEX' is not in demo");
        e.nearest = Some("DEU".into());
        e.choices = vec!["DEU".into(), "FRA".into()];
        let api = ApiError::from(e);
        assert_eq!(api.status, StatusCode::BAD_REQUEST);
        let json = serde_json::to_value(&api.body).expect("json");
        assert_eq!(
            json,
            serde_json::json!({"kind": "usage", "message": "region 'DEX' is not in demo",
                "field": "us", "nearest": "DEU", "choices": ["DEU", "FRA"]})
        );
    }

    #[test]
    fn every_kind_is_listed_once() {
        let kinds = error_kinds();
        let mut unique = kinds.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), kinds.len());
        for status in [400u16, 401, 403, 404, 405, 406, 408, 413, 500, 503, 504] {
            let e = ApiError::for_status(StatusCode::from_u16(status).expect("status"), "");
            assert!(kinds.contains(&e.body.kind.as_str()), "{status}");
        }
    }
}
