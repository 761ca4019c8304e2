//! Makes request and response bodies safe for trace logs.
//!
//! Any JSON member whose name contains `secret`, `password` or `token`
//! (any case) loses its value, at any depth. This module only prepares text
//! for logging; it must never change what is sent to Graph.

use serde_json::Value;

use super::error::shorten;

/// What replaces a hidden value.
pub(crate) const REDACTED: &str = "<redacted>";

/// How much of a non-JSON body is logged.
const MAX_TEXT_LOG: usize = 2048;

/// Whether a JSON member of this name may hold a credential.
fn is_sensitive(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["secret", "password", "token"]
        .iter()
        .any(|word| name.contains(word))
}

/// A copy of `value` with every sensitive member's value replaced.
pub(crate) fn redact_json(value: &Value) -> Value {
    match value {
        Value::Object(members) => Value::Object(
            members
                .iter()
                .map(|(name, value)| {
                    let value = if is_sensitive(name) {
                        Value::String(REDACTED.to_string())
                    } else {
                        redact_json(value)
                    };
                    (name.clone(), value)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact_json).collect()),
        other => other.clone(),
    }
}

/// A body as it may appear in a trace log: redacted JSON, or the start of
/// non-JSON text.
pub(crate) fn redact_body(body: &[u8]) -> String {
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => redact_json(&value).to_string(),
        Err(_) => shorten(&String::from_utf8_lossy(body), MAX_TEXT_LOG),
    }
}

/// [`redact_body`] for text already in hand.
pub(crate) fn redact_text(text: &str) -> String {
    redact_body(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sensitive_members_are_hidden_at_any_depth() {
        let cases = [
            (json!({"displayName": "a"}), json!({"displayName": "a"})),
            (
                json!({"client_secret": "s3cr3t", "keep": 1}),
                json!({"client_secret": REDACTED, "keep": 1}),
            ),
            (
                json!({"encryptedPfxPassword": "p", "Access_Token": "t", "x": {"refreshToken": "r"}}),
                json!({"encryptedPfxPassword": REDACTED, "Access_Token": REDACTED, "x": {"refreshToken": REDACTED}}),
            ),
            (
                json!({"value": [{"SECRET": {"nested": "whole object hidden"}}, {"name": "ok"}]}),
                json!({"value": [{"SECRET": REDACTED}, {"name": "ok"}]}),
            ),
            (json!(["token"]), json!(["token"])),
            (json!("password"), json!("password")),
        ];
        for (input, expected) in cases {
            assert_eq!(redact_json(&input), expected, "{input}");
        }
    }

    #[test]
    fn bodies_for_logs() {
        let logged: Value =
            serde_json::from_str(&redact_body(br#"{"password":"hunter2","a":1}"#)).unwrap();
        assert_eq!(logged, json!({"a": 1, "password": REDACTED}));
        assert_eq!(redact_body(b"plain text"), "plain text");
        let long = "y".repeat(MAX_TEXT_LOG + 10);
        let logged = redact_body(long.as_bytes());
        assert_eq!(logged.chars().count(), MAX_TEXT_LOG + 1);
        assert!(!redact_text(r#"{"Token":"abc"}"#).contains("abc"));
    }
}
