//! The parsers that turn a failed answer's body into a [`GraphError`]:
//! Graph's `{"error":{...}}` (with Intune's JSON-in-a-message), Entra ID's
//! OAuth error body, and the short one-line excerpt of anything else.
//!
//! They read only error texts and ids, never a request, so nothing they
//! return can carry a credential.

use serde_json::Value;

use super::GraphError;

/// What came back with a failed Graph response, besides the body.
pub(crate) struct ResponseMeta<'a> {
    pub status: u16,
    /// The `request-id` response header.
    pub request_id: Option<&'a str>,
    /// The `Date` response header, used when the body has no date.
    pub date: Option<&'a str>,
    /// The `client-request-id` this client sent.
    pub client_request_id: &'a str,
}

/// Builds `GraphError::Api` from a failed response. Graph's body is
/// `{"error":{"code","message","innerError":{"request-id","date",...}}}`;
/// anything else (HTML from a proxy, empty) keeps the status and a short
/// excerpt of the text.
pub(crate) fn api_error(meta: ResponseMeta<'_>, body: &[u8]) -> GraphError {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let error = parsed
        .as_ref()
        .and_then(|body| body.get("error"))
        .filter(|error| error.is_object());

    let (code, message, inner) = match error {
        Some(error) => (
            string_field(error, "code").unwrap_or_default(),
            string_field(error, "message").unwrap_or_default(),
            inner_error(error),
        ),
        None => (String::new(), excerpt(body), None),
    };
    let message = unwrap_intune_message(&message);
    let inner_field = |name: &str| inner.and_then(|inner| string_field(inner, name));

    GraphError::Api {
        status: meta.status,
        code,
        message,
        request_id: inner_field("request-id").or_else(|| meta.request_id.map(str::to_string)),
        client_request_id: meta.client_request_id.to_string(),
        date: inner_field("date").or_else(|| meta.date.map(str::to_string)),
    }
}

/// Graph spells the nested object `innerError`; some services use
/// `innererror`. Accept any casing.
fn inner_error(error: &Value) -> Option<&Value> {
    error
        .as_object()?
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("innererror"))
        .map(|(_, value)| value)
        .filter(|value| value.is_object())
}

/// Intune sometimes puts a whole JSON document in `error.message`
/// (`{"_version":3,"Message":"An error has occurred - Operation ID ...",
/// "CustomApiErrorPhrase":"",...}`). Surface its `Message` (and a non-empty
/// `CustomApiErrorPhrase`); the raw document goes to trace logs only.
fn unwrap_intune_message(message: &str) -> String {
    let trimmed = message.trim();
    if !trimmed.starts_with('{') {
        return message.to_string();
    }
    let Ok(document) = serde_json::from_str::<Value>(trimmed) else {
        return message.to_string();
    };
    let Some(inner) = string_field(&document, "Message") else {
        return message.to_string();
    };
    tracing::trace!(raw = %crate::graph::redact::redact_text(trimmed), "Intune error message document");
    match string_field(&document, "CustomApiErrorPhrase") {
        Some(phrase) if !phrase.trim().is_empty() && !inner.contains(phrase.trim()) => {
            format!("{inner} ({})", phrase.trim())
        }
        _ => inner,
    }
}

/// Builds `GraphError::Auth` from a failed token response:
/// `{"error","error_description","error_codes","trace_id","correlation_id"}`.
pub(crate) fn auth_error(status: u16, body: &[u8]) -> GraphError {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    match parsed.filter(|body| body.get("error").is_some_and(Value::is_string)) {
        Some(body) => GraphError::Auth {
            status: Some(status),
            code: string_field(&body, "error").unwrap_or_default(),
            description: string_field(&body, "error_description").unwrap_or_default(),
            trace_id: string_field(&body, "trace_id"),
            correlation_id: string_field(&body, "correlation_id"),
        },
        None => GraphError::Auth {
            status: Some(status),
            code: String::new(),
            description: excerpt(body),
            trace_id: None,
            correlation_id: None,
        },
    }
}

fn string_field(value: &Value, name: &str) -> Option<String> {
    value.get(name)?.as_str().map(str::to_string)
}

/// At most 300 characters of a body that is not the expected JSON, on one
/// line, for error messages (failed responses carry error texts, not
/// credentials).
pub(crate) fn excerpt(body: &[u8]) -> String {
    one_line(&String::from_utf8_lossy(body), 300)
}

/// `text` with every run of whitespace (line breaks included) made one
/// space, cut to `max` characters.
pub(crate) fn one_line(text: &str, max: usize) -> String {
    shorten(&text.split_whitespace().collect::<Vec<_>>().join(" "), max)
}

/// `text` cut to `max` characters, ending in `…` when something was cut.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", text.get(..cut).unwrap_or_default()),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta<'a>(status: u16, request_id: Option<&'a str>) -> ResponseMeta<'a> {
        ResponseMeta {
            status,
            request_id,
            date: Some("Tue, 01 Apr 2025 10:00:00 GMT"),
            client_request_id: "crid-1",
        }
    }

    #[test]
    fn graph_error_bodies() {
        struct Case {
            name: &'static str,
            body: &'static str,
            header_request_id: Option<&'static str>,
            code: &'static str,
            message: &'static str,
            request_id: Option<&'static str>,
            date: &'static str,
        }
        let cases = [
            Case {
                name: "full body",
                body: r#"{"error":{"code":"BadRequest","message":"Invalid keySize","innerError":{"request-id":"rid-body","date":"2025-04-01T10:00:00","client-request-id":"crid-1"}}}"#,
                header_request_id: Some("rid-header"),
                code: "BadRequest",
                message: "Invalid keySize",
                request_id: Some("rid-body"),
                date: "2025-04-01T10:00:00",
            },
            Case {
                name: "missing innerError takes header values",
                body: r#"{"error":{"code":"ResourceNotFound","message":"gone"}}"#,
                header_request_id: Some("rid-header"),
                code: "ResourceNotFound",
                message: "gone",
                request_id: Some("rid-header"),
                date: "Tue, 01 Apr 2025 10:00:00 GMT",
            },
            Case {
                name: "lower-case innererror",
                body: r#"{"error":{"code":"X","message":"m","innererror":{"request-id":"rid-lower"}}}"#,
                header_request_id: None,
                code: "X",
                message: "m",
                request_id: Some("rid-lower"),
                date: "Tue, 01 Apr 2025 10:00:00 GMT",
            },
            Case {
                name: "Intune JSON in message",
                body: r#"{"error":{"code":"BadRequest","message":"{\r\n  \"_version\": 3,\r\n  \"Message\": \"An error has occurred - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 - Activity ID: 7f4d\",\r\n  \"CustomApiErrorPhrase\": \"\",\r\n  \"RetryAfter\": null,\r\n  \"ErrorSourceService\": \"\",\r\n  \"HttpHeaders\": \"{}\"\r\n}"}}"#,
                header_request_id: None,
                code: "BadRequest",
                message: "An error has occurred - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 - Activity ID: 7f4d",
                request_id: None,
                date: "Tue, 01 Apr 2025 10:00:00 GMT",
            },
            Case {
                name: "Intune JSON with a custom phrase",
                body: r#"{"error":{"code":"BadRequest","message":"{\"Message\":\"Validation failed\",\"CustomApiErrorPhrase\":\"Invalid patch, at least 1 property must be changed\"}"}}"#,
                header_request_id: None,
                code: "BadRequest",
                message: "Validation failed (Invalid patch, at least 1 property must be changed)",
                request_id: None,
                date: "Tue, 01 Apr 2025 10:00:00 GMT",
            },
            Case {
                name: "message that merely looks like JSON stays as is",
                body: r#"{"error":{"code":"X","message":"{not json"}}"#,
                header_request_id: None,
                code: "X",
                message: "{not json",
                request_id: None,
                date: "Tue, 01 Apr 2025 10:00:00 GMT",
            },
            Case {
                name: "non-JSON body",
                body: "<html>\n  <body>Bad   Gateway</body>\n</html>",
                header_request_id: Some("rid-header"),
                code: "",
                message: "<html> <body>Bad Gateway</body> </html>",
                request_id: Some("rid-header"),
                date: "Tue, 01 Apr 2025 10:00:00 GMT",
            },
            Case {
                name: "JSON without error object",
                body: r#"{"error":"nope"}"#,
                header_request_id: None,
                code: "",
                message: r#"{"error":"nope"}"#,
                request_id: None,
                date: "Tue, 01 Apr 2025 10:00:00 GMT",
            },
            Case {
                name: "empty body",
                body: "",
                header_request_id: None,
                code: "",
                message: "",
                request_id: None,
                date: "Tue, 01 Apr 2025 10:00:00 GMT",
            },
        ];
        for case in cases {
            let error = api_error(meta(400, case.header_request_id), case.body.as_bytes());
            let GraphError::Api {
                status,
                code,
                message,
                request_id,
                client_request_id,
                date,
            } = error
            else {
                panic!("{}: not an Api error: {error:?}", case.name);
            };
            assert_eq!(status, 400, "{}", case.name);
            assert_eq!(code, case.code, "{}", case.name);
            assert_eq!(message, case.message, "{}", case.name);
            assert_eq!(request_id.as_deref(), case.request_id, "{}", case.name);
            assert_eq!(client_request_id, "crid-1", "{}", case.name);
            assert_eq!(date.as_deref(), Some(case.date), "{}", case.name);
        }
    }

    #[test]
    fn excerpts_are_short_and_on_one_line() {
        assert_eq!(excerpt(b"  a\n  b\tc "), "a b c");
        let long = "x".repeat(1000);
        let cut = excerpt(long.as_bytes());
        assert_eq!(cut.chars().count(), 301);
        assert!(cut.ends_with('…'));
        assert_eq!(shorten("äöü", 2), "äö…");
        assert_eq!(shorten("äöü", 3), "äöü");
        assert_eq!(shorten("", 0), "");
        assert_eq!(shorten("a", 0), "…");
        assert_eq!(one_line("ERROR: x\n\n  y\n", 600), "ERROR: x y");
    }

    #[test]
    fn long_non_json_bodies_are_cut() {
        let body = "x".repeat(1000);
        let GraphError::Api { message, .. } = api_error(meta(502, None), body.as_bytes()) else {
            panic!("not an Api error");
        };
        assert_eq!(message.chars().count(), 301);
        assert!(message.ends_with('…'));
    }

    #[test]
    fn api_error_display_names_code_message_and_ids() {
        let error = api_error(
            meta(400, Some("rid-9")),
            br#"{"error":{"code":"BadRequest","message":"Invalid keySize"}}"#,
        );
        assert_eq!(
            error.to_string(),
            "Graph returned HTTP 400 BadRequest: Invalid keySize (request-id: rid-9, \
             client-request-id: crid-1, date: Tue, 01 Apr 2025 10:00:00 GMT)"
        );
    }

    #[test]
    fn entra_error_bodies() {
        let body = br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","error_codes":[7000215],"timestamp":"2025-04-01 10:00:00Z","trace_id":"tid-1","correlation_id":"cid-1"}"#;
        let error = auth_error(401, body);
        let GraphError::Auth {
            status,
            code,
            description,
            trace_id,
            correlation_id,
        } = &error
        else {
            panic!("not an Auth error: {error:?}");
        };
        assert_eq!(*status, Some(401));
        assert_eq!(code, "invalid_client");
        assert_eq!(
            description,
            "AADSTS7000215: Invalid client secret provided."
        );
        assert_eq!(trace_id.as_deref(), Some("tid-1"));
        assert_eq!(correlation_id.as_deref(), Some("cid-1"));
        assert_eq!(error.request_id(), Some("tid-1"));
        assert!(!error.is_retryable());
        assert_eq!(
            error.to_string(),
            "requesting an access token from Entra ID failed with HTTP 401: invalid_client: \
             AADSTS7000215: Invalid client secret provided. (trace_id: tid-1, correlation_id: cid-1)"
        );

        let error = auth_error(503, b"Service Unavailable");
        let GraphError::Auth {
            code, description, ..
        } = &error
        else {
            panic!("not an Auth error: {error:?}");
        };
        assert_eq!(code, "");
        assert_eq!(description, "Service Unavailable");
        // Retried inside the token flow; final once it comes out.
        assert!(!error.is_retryable());
    }
}
