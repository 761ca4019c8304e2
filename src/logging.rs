//! Logs in the shape terraform's `TF_LOG` understands: one JSON object per
//! line on stderr with `@level`, `@message`, `@timestamp` (go-hclog's
//! layout) and the event's fields, so terraform re-emits each line at its
//! level. Stdout is never touched (it carries the handshake line).
//!
//! The level comes from `TF_LOG_PROVIDER`, else `TF_LOG`, as terraform
//! filters; unset means silent, so a normal run writes nothing.

use std::io::Write as _;

use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::format_description;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{Layer, Registry};

/// go-hclog's timestamp layout: `2006-01-02T15:04:05.000000Z07:00`.
const TIMESTAMP: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// The level terraform asked for, if any.
pub fn level_from_env(get: impl Fn(&str) -> Option<String>) -> Option<Level> {
    // An empty TF_LOG_PROVIDER defers to TF_LOG, as terraform reads them.
    let raw = get("TF_LOG_PROVIDER")
        .filter(|level| !level.trim().is_empty())
        .or_else(|| get("TF_LOG"))?;
    match raw.trim().to_ascii_uppercase().as_str() {
        "TRACE" | "JSON" => Some(Level::TRACE),
        "DEBUG" => Some(Level::DEBUG),
        "INFO" => Some(Level::INFO),
        "WARN" => Some(Level::WARN),
        "ERROR" => Some(Level::ERROR),
        "" | "OFF" => None,
        // Terraform treats any other value as TRACE.
        _ => Some(Level::TRACE),
    }
}

/// Installs the stderr logger when a level is set; does nothing otherwise.
pub fn init() {
    let Some(level) = level_from_env(|k| std::env::var(k).ok()) else {
        return;
    };
    let subscriber = Registry::default().with(HclogLayer { max: level });
    let _ = tracing::subscriber::set_global_default(subscriber);
}

struct HclogLayer {
    max: Level,
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for HclogLayer {
    fn enabled(&self, metadata: &tracing::Metadata<'_>, _: Context<'_, S>) -> bool {
        *metadata.level() <= self.max && is_ours(metadata.target())
    }

    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, S>,
    ) {
        let mut fields = JsonFields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = JsonFields::default();
        event.record(&mut fields);
        let mut line = serde_json::Map::new();
        line.insert(
            "@level".into(),
            level_name(*event.metadata().level()).into(),
        );
        line.insert(
            "@message".into(),
            fields.message.take().unwrap_or_default().into(),
        );
        line.insert("@module".into(), "provider.intune".into());
        if let Ok(ts) = OffsetDateTime::now_utc().format(TIMESTAMP) {
            line.insert("@timestamp".into(), ts.into());
        }
        // Fields of enclosing spans (the RPC, the resource type) first.
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(f) = span.extensions().get::<JsonFields>() {
                    line.extend(f.values.clone());
                }
                line.entry("rpc").or_insert(span.name().into());
            }
        }
        line.extend(fields.values);
        let mut out = serde_json::Value::Object(line).to_string();
        out.push('\n');
        let _ = std::io::stderr().lock().write_all(out.as_bytes());
    }
}

/// Only our own crates' events: the HTTP/gRPC stack (hyper, h2, tonic,
/// reqwest, rustls) is left out at every level, its output being noise
/// even at `TF_LOG=trace`.
fn is_ours(target: &str) -> bool {
    target.starts_with("intune") || target.starts_with("terraform_provider_intune")
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

#[derive(Default, Clone)]
struct JsonFields {
    message: Option<String>,
    values: serde_json::Map<String, serde_json::Value>,
}

impl Visit for JsonFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, value.into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put(field, format!("{value:?}").into());
    }
}

impl JsonFields {
    fn put(&mut self, field: &Field, value: serde_json::Value) {
        if field.name() == "message" {
            self.message = Some(match value {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            });
        } else {
            self.values.insert(field.name().to_string(), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_follows_terraform_variables() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(level_from_env(env(&[])), None);
        assert_eq!(
            level_from_env(env(&[("TF_LOG", "debug")])),
            Some(Level::DEBUG)
        );
        assert_eq!(
            level_from_env(env(&[("TF_LOG", "trace"), ("TF_LOG_PROVIDER", "warn")])),
            Some(Level::WARN)
        );
        assert_eq!(level_from_env(env(&[("TF_LOG", "1")])), Some(Level::TRACE));
        assert_eq!(level_from_env(env(&[("TF_LOG", "off")])), None);
        assert_eq!(
            level_from_env(env(&[("TF_LOG", "debug"), ("TF_LOG_PROVIDER", " ")])),
            Some(Level::DEBUG)
        );
        assert_eq!(
            level_from_env(env(&[("TF_LOG", "debug"), ("TF_LOG_PROVIDER", "off")])),
            None
        );
    }

    #[test]
    fn timestamp_has_hclog_layout() {
        let t = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        assert_eq!(t.format(TIMESTAMP).unwrap(), "2023-11-14T22:13:20.000000Z");
    }
}
