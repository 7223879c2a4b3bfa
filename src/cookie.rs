//! Finding one cookie in a `Cookie` header the way Werkzeug's `parse_cookie`
//! does, for the headers where that can be done without its regex.

/// Why a header is left to Werkzeug.
#[derive(Debug, PartialEq, Eq)]
pub struct NeedsWerkzeug;

/// The first value of cookie `name`, as `request.cookies.get(name)` gives it.
///
/// Only printable ASCII without `"` or `\` is handled: there Werkzeug's regex
/// reduces to splitting on `;`, then on the first `=`, and stripping spaces.
/// Anything else (quoted values, escapes, tabs, non-ASCII) is `NeedsWerkzeug`.
pub fn find_cookie<'a>(header: &'a str, name: &str) -> Result<Option<&'a str>, NeedsWerkzeug> {
    if !header.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\') {
        return Err(NeedsWerkzeug);
    }
    for segment in header.split(';') {
        let (key, value) = segment.split_once('=').unwrap_or((segment, ""));
        let key = key.trim_matches(' ');
        if !key.is_empty() && key == name {
            return Ok(Some(value.trim_matches(' ')));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_headers() {
        let header = "theme=dark; session=abc.def; session=second; flag; =x; a=b=c";
        assert_eq!(find_cookie(header, "session"), Ok(Some("abc.def")));
        assert_eq!(find_cookie(header, "flag"), Ok(Some("")));
        assert_eq!(find_cookie(header, "a"), Ok(Some("b=c")));
        assert_eq!(find_cookie(header, "missing"), Ok(None));
        assert_eq!(find_cookie("  session =  v  ;x=1", "session"), Ok(Some("v")));
        assert_eq!(find_cookie("", "session"), Ok(None));
    }

    #[test]
    fn unusual_headers_go_to_werkzeug() {
        assert_eq!(find_cookie("session=\"quoted\"", "session"), Err(NeedsWerkzeug));
        assert_eq!(find_cookie("session=a\tb", "session"), Err(NeedsWerkzeug));
        assert_eq!(find_cookie("session=é", "session"), Err(NeedsWerkzeug));
    }
}
