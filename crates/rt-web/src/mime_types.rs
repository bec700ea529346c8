//! Content types by file extension: the common part of the `mime` npm
//! package's table as `send` uses it (text types get `; charset=UTF-8`).

/// The `Content-Type` for a file name: `send`'s `mime.lookup(path)` plus a
/// UTF-8 charset for text types; `application/octet-stream` when unknown.
#[doc(alias = "mime.lookup")]
pub fn content_type_for(path: &std::path::Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" | "shtml" => "text/html; charset=UTF-8",
        "css" => "text/css; charset=UTF-8",
        "js" | "mjs" | "cjs" => "application/javascript; charset=UTF-8",
        "json" | "map" => "application/json; charset=UTF-8",
        "txt" | "text" | "conf" | "log" | "ini" => "text/plain; charset=UTF-8",
        "md" | "markdown" => "text/markdown; charset=UTF-8",
        "csv" => "text/csv; charset=UTF-8",
        "xml" => "application/xml",
        "svg" | "svgz" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" | "jpe" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "bmp" => "image/bmp",
        "avif" => "image/avif",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "tar" => "application/x-tar",
        "wasm" => "application/wasm",
        "mp4" | "mp4v" | "mpg4" => "video/mp4",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "ogg" | "oga" => "audio/ogg",
        "txz" | "xz" => "application/x-xz",
        _ => "application/octet-stream",
    }
}
