//! Which links of a page a crawler follows and how it groups pages by kind: shared by
//! `yaolian bench pages` and the demo crawl test (`tests/pages.rs`, which includes this file).

/// The route pattern of a path: numbers and codes in it become `*`, so that one page of each
/// kind is visited.
pub fn pattern(path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    path.split('/')
        .map(|seg| if seg.chars().any(|c| c.is_ascii_digit()) || seg.contains('%') { "*" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether the crawl follows a link: same site, a page (not a file, an API, a state change).
pub fn followable(href: &str) -> bool {
    href.starts_with('/')
        && !href.starts_with("//")
        && !["/api/", "/assets/", "/lang/", "/logout", "/metrics", "/healthz"].iter().any(|p| href.starts_with(p))
        && ![".csv", ".xlsx", ".json", ".pem", ".png", ".pdf", ".txt"]
            .iter()
            .any(|e| href.split('?').next().unwrap_or("").ends_with(e))
}

/// The same-site links of an HTML page (`href="/…"`), unescaped, in page order.
pub fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|href| href.replace("&amp;", "&"))
        .filter(|href| followable(href))
        .collect()
}
