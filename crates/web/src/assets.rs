//! Static assets, embedded in the binary (nothing is fetched at build or run time). Vendored
//! libraries come from the npm registry; see `assets/vendor/README.md`.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::AppState;

struct Asset {
    path: &'static str,
    mime: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset { path: "app.css", mime: "text/css; charset=utf-8", body: include_bytes!("../assets/app.css") },
    Asset { path: "app.js", mime: "text/javascript; charset=utf-8", body: include_bytes!("../assets/app.js") },
    Asset { path: "favicon.svg", mime: "image/svg+xml", body: include_bytes!("../assets/favicon.svg") },
    Asset {
        path: "swagger-init.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/swagger-init.js"),
    },
    Asset {
        path: "vendor/swagger-ui/swagger-ui-bundle.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/vendor/swagger-ui/swagger-ui-bundle.js"),
    },
    Asset {
        path: "vendor/swagger-ui/swagger-ui.css",
        mime: "text/css; charset=utf-8",
        body: include_bytes!("../assets/vendor/swagger-ui/swagger-ui.css"),
    },
    Asset {
        path: "vendor/htmx/htmx.min.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/vendor/htmx/htmx.min.js"),
    },
    Asset {
        path: "vendor/echarts/echarts.min.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/vendor/echarts/echarts.min.js"),
    },
];

pub fn routes() -> Router<AppState> {
    Router::new().route("/assets/{*path}", get(serve)).route("/favicon.ico", get(|| serve(Path("favicon.svg".into()))))
}

async fn serve(Path(path): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.path == path) {
        Some(a) => {
            ([(header::CONTENT_TYPE, a.mime), (header::CACHE_CONTROL, "public, max-age=3600")], a.body).into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}
