//! The pages the server shows a browser, compiled into the binary: the dashboard (`web/dashboard/`) at `/` and
//! `/dashboard/<file>`, the API reference page (`web/api.html`) at `/api`, and the vendored npm files they load
//! (Swagger UI, ECharts, world-atlas, topojson-client, with their licences) at `/assets/<dir>/<file>`. No network
//! at run time; see `web/vendor/README.md` and `docs/dashboard.md`.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

const API_PAGE: &str = include_str!("../../../web/api.html");

include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

/// The dashboard's policy: its own scripts and the API only; inline styles for the charts' tooltips.
const DASHBOARD_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

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

/// `GET /assets/{dir}/{file}`: only the vendored files `web/vendor/MANIFEST.tsv` lists, by exact name.
pub(crate) async fn vendor(
    Path((dir, file)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let Some((_, _, media, bytes)) = VENDOR.iter().find(|(d, f, _, _)| *d == dir && *f == file)
    else {
        return Err(ApiError::not_found(
            format!("no asset '{dir}/{file}'"),
            VENDOR
                .iter()
                .map(|(d, f, _, _)| format!("{d}/{f}"))
                .collect(),
            None,
        ));
    };
    Ok(file_response(
        media,
        Body::Static(bytes),
        "public, max-age=86400",
    ))
}

/// `GET /`: the dashboard's page.
pub(crate) async fn dashboard_index() -> Result<Response, ApiError> {
    dashboard_file("index.html")
}

/// `GET /dashboard/{file}`: the dashboard's own scripts and styles.
pub(crate) async fn dashboard(Path(file): Path<String>) -> Result<Response, ApiError> {
    dashboard_file(&file)
}

/// The name a development copy may be read under: letters, digits, `-`, `_` and one extension. No paths.
fn safe_name(file: &str) -> bool {
    let mut parts = file.split('.');
    let (Some(stem), Some(ext), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !stem.is_empty()
        && stem
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && matches!(ext, "html" | "js" | "css" | "svg" | "json")
}

enum Body {
    Static(&'static [u8]),
    Owned(Vec<u8>),
}

fn dashboard_file(file: &str) -> Result<Response, ApiError> {
    // For work on the dashboard itself: `SOVRA_DASHBOARD_DIR` (set by whoever starts the server, never by a
    // request) serves the folder's current files instead of the compiled ones, so a page edit needs no rebuild.
    if let Some(dir) = std::env::var_os("SOVRA_DASHBOARD_DIR")
        && safe_name(file)
    {
        let media = DASHBOARD
            .iter()
            .find(|(f, _, _)| *f == file)
            .map(|(_, m, _)| *m)
            .unwrap_or(match file.rsplit('.').next() {
                Some("js") => "text/javascript; charset=utf-8",
                Some("css") => "text/css; charset=utf-8",
                Some("html") => "text/html; charset=utf-8",
                Some("svg") => "image/svg+xml",
                _ => "application/json",
            });
        if let Ok(bytes) = std::fs::read(std::path::Path::new(&dir).join(file)) {
            return Ok(file_response(media, Body::Owned(bytes), "no-store"));
        }
    }
    let Some((_, media, bytes)) = DASHBOARD.iter().find(|(f, _, _)| *f == file) else {
        return Err(ApiError::not_found(
            format!("no dashboard file '{file}'"),
            DASHBOARD.iter().map(|(f, _, _)| f.to_string()).collect(),
            None,
        ));
    };
    Ok(file_response(media, Body::Static(bytes), "no-cache"))
}

fn file_response(media: &'static str, body: Body, cache: &'static str) -> Response {
    let mut response = match body {
        Body::Static(bytes) => (StatusCode::OK, bytes).into_response(),
        Body::Owned(bytes) => (StatusCode::OK, bytes).into_response(),
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if media.starts_with("text/html") {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DASHBOARD_CSP),
        );
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_are_read_from_a_development_folder() {
        for good in ["app.js", "style.css", "index.html", "world-map_2.js"] {
            assert!(safe_name(good), "{good}");
        }
        for bad in [
            "../x.js", "a/b.js", ".js", "x", "x.js.map", "x.exe", "..", "%2e.js", "x.JS",
        ] {
            assert!(!safe_name(bad), "{bad}");
        }
    }

    #[test]
    fn every_manifest_file_is_compiled_in() {
        assert!(
            VENDOR
                .iter()
                .any(|(d, f, _, _)| *d == "echarts" && *f == "echarts.min.js")
        );
        assert!(
            VENDOR
                .iter()
                .any(|(d, f, _, _)| *d == "swagger-ui" && *f == "swagger-ui-bundle.js")
        );
        assert!(VENDOR.iter().all(|(_, _, _, b)| !b.is_empty()));
    }

    #[test]
    fn the_page_policy_is_found_and_strict() {
        let csp = api_page_csp().expect("a CSP meta tag");
        assert!(csp.starts_with("default-src 'self'"), "{csp}");
        assert!(!API_PAGE.contains("http://") && !API_PAGE.contains("https://"));
    }
}
