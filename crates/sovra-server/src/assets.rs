//! The browsable API page and the vendored files it loads, compiled into the binary: `web/api.html` at
//! `/api`, Swagger UI (npm `swagger-ui-dist`, Apache-2.0, with its licence and notices) at
//! `/assets/swagger-ui/…`. No network at run time; see `web/vendor/README.md`.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

const API_PAGE: &str = include_str!("../../../web/api.html");

/// `(file, media type, bytes)` served under `/assets/swagger-ui/`.
const SWAGGER_UI: &[(&str, &str, &[u8])] = &[
    (
        "swagger-ui-bundle.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../web/vendor/swagger-ui/swagger-ui-bundle.js"),
    ),
    (
        "swagger-ui.css",
        "text/css; charset=utf-8",
        include_bytes!("../../../web/vendor/swagger-ui/swagger-ui.css"),
    ),
    (
        "LICENSE",
        "text/plain; charset=utf-8",
        include_bytes!("../../../web/vendor/swagger-ui/LICENSE"),
    ),
    (
        "NOTICE",
        "text/plain; charset=utf-8",
        include_bytes!("../../../web/vendor/swagger-ui/NOTICE"),
    ),
    (
        "swagger-ui-bundle.js.LICENSE.txt",
        "text/plain; charset=utf-8",
        include_bytes!("../../../web/vendor/swagger-ui/swagger-ui-bundle.js.LICENSE.txt"),
    ),
];

/// The page's own Content-Security-Policy (from its meta tag), sent as a header too.
pub(crate) fn api_page_csp() -> Option<&'static str> {
    let start = API_PAGE.find("http-equiv=\"Content-Security-Policy\" content=\"")?;
    let rest = &API_PAGE[start..];
    let open = rest.find("content=\"")? + "content=\"".len();
    let close = rest[open..].find('"')?;
    Some(&rest[open..open + close])
}

/// `GET /api`.
pub(crate) async fn api_page() -> Response {
    let mut response = (StatusCode::OK, API_PAGE).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Some(csp) = api_page_csp() {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(csp),
        );
    }
    response
}

/// `GET /assets/swagger-ui/{file}`: only the files listed, by exact name.
pub(crate) async fn swagger_ui(Path(file): Path<String>) -> Result<Response, ApiError> {
    let Some((_, media, bytes)) = SWAGGER_UI.iter().find(|(name, _, _)| *name == file) else {
        return Err(ApiError::not_found(
            format!("no asset '{file}'"),
            SWAGGER_UI.iter().map(|(n, _, _)| n.to_string()).collect(),
            None,
        ));
    };
    let mut response = (StatusCode::OK, *bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_policy_is_found_and_strict() {
        let csp = api_page_csp().expect("a CSP meta tag");
        assert!(csp.starts_with("default-src 'self'"), "{csp}");
        assert!(!API_PAGE.contains("http://") && !API_PAGE.contains("https://"));
    }
}
