//! The generic certificate-profile resource: schema, validation, planning
//! and CRUD for any kind, driven by the kind's attribute table, the
//! (kind, platform) → Graph type table and the Graph model. A kind module
//! supplies only data.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Map, Value as Json};

use super::certificate;
use super::errors::graph_failure;
use super::fields::{self, Field, FieldType, property_enum};
use super::model::GraphProfileType;
use super::platform::{self, Platform, ProfileKind, bare_type_name, keyword_list};
use crate::framework::{
    Attribute, Block, Context, Diagnostics, Mode, NestedBlock, Nesting, Plan, PlanRule, Resource,
    Schema, Validator,
};
use crate::graph::{CallOptions, GraphClient};
use crate::value::{AttributePath, Type, Value};

/// Where every profile lives in Graph.
pub const COLLECTION: &str = "/deviceManagement/deviceConfigurations";

/// A kind's data: which kind, how it is described, and its own rows.
#[derive(Debug)]
pub struct ProfileKindSpec {
    pub kind: ProfileKind,
    pub description: &'static str,
    /// Behaviour notes for the documentation page (Markdown).
    pub notes: &'static str,
    pub fields: &'static [Field],
}

/// Rows every kind shares: the properties of Graph's `deviceConfiguration`.
pub static COMMON_FIELDS: &[Field] = &[
    Field::new(
        "display_name",
        "displayName",
        FieldType::String,
        Mode::Required,
        "Name shown in the Intune admin center.",
    ),
    Field::new(
        "description",
        "description",
        FieldType::String,
        Mode::Optional,
        "Free-text description of the profile.",
    ),
    Field::new(
        "role_scope_tag_ids",
        "roleScopeTagIds",
        FieldType::StringSet,
        Mode::OptionalComputed,
        "Ids of the scope tags that limit which Intune administrators see the profile. Intune assigns `[\"0\"]` (the Default tag) when unset.",
    ),
    Field::new(
        "device_management_applicability_rule_device_mode",
        "deviceManagementApplicabilityRuleDeviceMode",
        FieldType::Object(APPLICABILITY_DEVICE_MODE),
        Mode::Optional,
        "Applicability rule on the Windows device mode (S mode or standard).",
    ),
    Field::new(
        "device_management_applicability_rule_os_edition",
        "deviceManagementApplicabilityRuleOsEdition",
        FieldType::Object(APPLICABILITY_OS_EDITION),
        Mode::Optional,
        "Applicability rule on the Windows edition.",
    ),
    Field::new(
        "device_management_applicability_rule_os_version",
        "deviceManagementApplicabilityRuleOsVersion",
        FieldType::Object(APPLICABILITY_OS_VERSION),
        Mode::Optional,
        "Applicability rule on the operating-system version.",
    ),
];

static APPLICABILITY_DEVICE_MODE: &[Field] = &[
    Field::new(
        "device_mode",
        "deviceMode",
        FieldType::Enum,
        Mode::Required,
        "Device mode the rule matches.",
    ),
    Field::new(
        "name",
        "name",
        FieldType::String,
        Mode::Optional,
        "Name of the rule.",
    ),
    Field::new(
        "rule_type",
        "ruleType",
        FieldType::Enum,
        Mode::Required,
        "Whether matching devices are included or excluded.",
    ),
];

static APPLICABILITY_OS_EDITION: &[Field] = &[
    Field::new(
        "name",
        "name",
        FieldType::String,
        Mode::Optional,
        "Name of the rule.",
    ),
    Field::new(
        "os_edition_types",
        "osEditionTypes",
        FieldType::StringSet,
        Mode::Required,
        "Windows editions the rule matches.",
    ),
    Field::new(
        "rule_type",
        "ruleType",
        FieldType::Enum,
        Mode::Required,
        "Whether matching devices are included or excluded.",
    ),
];

static APPLICABILITY_OS_VERSION: &[Field] = &[
    Field::new(
        "max_os_version",
        "maxOSVersion",
        FieldType::String,
        Mode::Optional,
        "Highest OS version the rule matches.",
    ),
    Field::new(
        "min_os_version",
        "minOSVersion",
        FieldType::String,
        Mode::Optional,
        "Lowest OS version the rule matches.",
    ),
    Field::new(
        "name",
        "name",
        FieldType::String,
        Mode::Optional,
        "Name of the rule.",
    ),
    Field::new(
        "rule_type",
        "ruleType",
        FieldType::Enum,
        Mode::Required,
        "Whether matching devices are included or excluded.",
    ),
];

/// Computed attributes every profile has, besides `id`.
const CREATED: &str = "created_date_time";
const MODIFIED: &str = "last_modified_date_time";
const VERSION: &str = "version";
/// Facts derived from a certificate field.
const CERT_FACTS: [(&str, &str); 4] = [
    (
        "thumbprint",
        "SHA-1 thumbprint of the certificate, upper-case hexadecimal.",
    ),
    ("subject", "Subject distinguished name of the certificate."),
    ("issuer", "Issuer distinguished name of the certificate."),
    (
        "not_after",
        "End of the certificate's validity, RFC 3339 (UTC).",
    ),
];

pub struct ProfileResource {
    spec: &'static ProfileKindSpec,
    type_name: String,
    fields: Vec<&'static Field>,
    schema: Schema,
}

impl ProfileResource {
    pub fn new(spec: &'static ProfileKindSpec) -> Self {
        let fields: Vec<&'static Field> = COMMON_FIELDS.iter().chain(spec.fields.iter()).collect();
        let schema = build_schema(spec, &fields);
        ProfileResource {
            spec,
            type_name: spec.kind.resource_type(),
            fields,
            schema,
        }
    }

    pub fn kind(&self) -> ProfileKind {
        self.spec.kind
    }

    pub fn spec(&self) -> &'static ProfileKindSpec {
        self.spec
    }

    fn certificate_field(&self) -> Option<&'static Field> {
        self.fields
            .iter()
            .copied()
            .find(|f| matches!(f.ty, FieldType::Certificate))
    }

    /// The platform and Graph type an object of this resource is, from its
    /// `platform` attribute.
    fn graph_type_of(&self, object: &Value) -> Option<(Platform, &'static GraphProfileType)> {
        let p = Platform::from_keyword(object.get("platform").as_str()?)?;
        Some((p, platform::graph_type(self.spec.kind, p)?))
    }

    fn label(&self, gt: &GraphProfileType, object: &Value) -> String {
        match object.get("display_name").as_str() {
            Some(name) => format!("{} {name:?}", gt.name),
            None => gt.name.to_string(),
        }
    }

    /// The request body for creating `planned`, or the properties that
    /// changed from `prior` when updating.
    fn body(
        &self,
        gt: &GraphProfileType,
        planned: &Value,
        prior: Option<&Value>,
    ) -> Result<Map<String, Json>, String> {
        let mut body = Map::new();
        for field in &self.fields {
            let Some(prop) = gt.property(field.graph) else {
                continue;
            };
            let value = planned.get(field.name);
            let include = match prior {
                None => value.is_known_non_null() && !is_empty_collection(value),
                Some(prior) => value != prior.get(field.name),
            };
            if include {
                body.insert(
                    field.graph.to_string(),
                    fields::to_graph(field, prop, value)?,
                );
            }
        }
        Ok(body)
    }

    /// The Terraform state for a Graph object, keeping `prior`'s form where
    /// Graph holds the same thing.
    fn state_from_graph(
        &self,
        gt: &GraphProfileType,
        json: &Json,
        prior: &Value,
    ) -> Result<Value, String> {
        let mut state = self.schema.block.empty_object();
        let id = json
            .get("id")
            .and_then(Json::as_str)
            .ok_or("Graph's answer has no id")?;
        state.set("id", Value::string(id));
        let platform = match self.graph_type_of(prior) {
            Some((p, t)) if t.name == gt.name => p,
            _ => platform::identify(gt.name)
                .map(|r| r.platform)
                .ok_or("unknown Graph type")?,
        };
        state.set("platform", Value::string(platform.keyword()));
        for field in &self.fields {
            let value = match gt.property(field.graph) {
                Some(prop) => fields::from_graph(
                    field,
                    prop,
                    json.get(field.graph).unwrap_or(&Json::Null),
                    prior.get(field.name),
                )?,
                None if matches!(field.ty, FieldType::ObjectSet(_)) => Value::Set(Vec::new()),
                None => Value::Null,
            };
            state.set(field.name, value);
        }
        for (name, graph) in [
            (CREATED, "createdDateTime"),
            (MODIFIED, "lastModifiedDateTime"),
        ] {
            state.set(
                name,
                json.get(graph)
                    .and_then(Json::as_str)
                    .map(Value::string)
                    .unwrap_or_default(),
            );
        }
        state.set(
            VERSION,
            json.get("version")
                .and_then(Json::as_i64)
                .map(Value::int)
                .unwrap_or_default(),
        );
        self.set_certificate_facts(&mut state);
        Ok(state)
    }

    /// Derives `thumbprint` and friends from the certificate attribute:
    /// known when the certificate is, unknown when it is not.
    fn set_certificate_facts(&self, object: &mut Value) {
        let Some(field) = self.certificate_field() else {
            return;
        };
        let cert = object.get(field.name).clone();
        let facts = cert.as_str().and_then(|s| certificate::parse(s).ok());
        for (name, _) in CERT_FACTS {
            let v = match (&cert, &facts) {
                (Value::Unknown, _) => Value::Unknown,
                (_, Some(f)) => Value::string(match name {
                    "thumbprint" => &f.thumbprint,
                    "subject" => &f.subject,
                    "issuer" => &f.issuer,
                    _ => &f.not_after,
                }),
                _ => Value::Null,
            };
            object.set(name, v);
        }
    }

    fn check_platform_fields(
        &self,
        config: &Value,
        platform: Option<Platform>,
        diags: &mut Diagnostics,
    ) {
        let kind = self.spec.kind;
        let gt = platform.and_then(|p| platform::graph_type(kind, p));
        for field in &self.fields {
            let value = config.get(field.name);
            let path = AttributePath::attr(field.name);
            let Some(gt) = gt else {
                // Platform not known yet: check enum values against every platform's members.
                check_enum(field, value, &path, &enum_union(kind, field), diags);
                continue;
            };
            let p = platform.map(Platform::keyword).unwrap_or_default();
            match gt.property(field.graph) {
                None if is_set(value) => {
                    let supported = platforms_with(kind, field);
                    diags.error_at(
                        path,
                        format!("{} is not available on platform {p:?}", field.name),
                        format!(
                            "The Graph type {} has no {} property, so {} cannot be set when platform = {p:?}. \
                             It is accepted for platform {}.",
                            gt.name,
                            field.graph,
                            field.name,
                            if supported.is_empty() { "none".to_string() } else { keyword_list(&supported) }
                        ),
                    );
                }
                None => {}
                Some(prop) => {
                    let members: Vec<&str> = property_enum(prop)
                        .map(|e| e.members.to_vec())
                        .unwrap_or_default();
                    check_enum(field, value, &path, &members, diags);
                    let needs_value = !prop.nullable
                        && !prop.collection
                        && field.mode == Mode::Optional
                        && !field.is_block();
                    if needs_value && value.is_null() {
                        diags.error_at(
                            path,
                            format!("Missing {} for platform {p:?}", field.name),
                            format!("{} is required when platform = {p:?} (Graph's {} cannot be empty).", field.name, gt.name),
                        );
                    }
                }
            }
        }
    }

    fn options(ctx: &Context<'_, GraphClient>, read_after_write: bool) -> CallOptions {
        let opts = CallOptions::until(tokio::time::Instant::from_std(ctx.deadline));
        if read_after_write {
            opts.read_after_write()
        } else {
            opts
        }
    }

    fn item_path(id: &str) -> String {
        format!("{COLLECTION}/{}", encode_segment(id))
    }
}

#[async_trait]
impl Resource<GraphClient> for ProfileResource {
    fn type_name(&self) -> &str {
        &self.type_name
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let kind = self.spec.kind;
        let platform = match config.get("platform") {
            Value::String(s) => match Platform::from_keyword(s) {
                Some(p) if platform::graph_type(kind, p).is_some() => Some(p),
                Some(p) => {
                    diags.error_at(
                        AttributePath::attr("platform"),
                        format!(
                            "{} is not available on platform {:?}",
                            self.type_name,
                            p.keyword()
                        ),
                        format!(
                            "Intune has no {} profile for {}. Supported platforms: {}.",
                            kind.label(),
                            p.label(),
                            keyword_list(&platform::platforms(kind))
                        ),
                    );
                    return;
                }
                None => {
                    diags.error_at(
                        AttributePath::attr("platform"),
                        "Invalid platform",
                        format!(
                            "{s:?} is not a platform. {} supports {}.",
                            self.type_name,
                            keyword_list(&platform::platforms(kind))
                        ),
                    );
                    return;
                }
            },
            _ => None,
        };
        self.check_platform_fields(config, platform, diags);
    }

    async fn plan(&self, _client: Option<&GraphClient>, plan: &mut Plan, diags: &mut Diagnostics) {
        if let Some(field) = self.certificate_field() {
            if plan.prior.is_null() || plan.planned.get(field.name) != plan.prior.get(field.name) {
                self.set_certificate_facts(&mut plan.planned);
            }
            if let Some(facts) = plan
                .planned
                .get(field.name)
                .as_str()
                .and_then(|s| certificate::parse(s).ok())
            {
                if facts.expired {
                    diags.push(
                        crate::framework::Diagnostic::warning(
                            "Certificate has expired",
                            format!("This certificate expired on {}; devices will not trust what it signs.", facts.not_after),
                        )
                        .at(AttributePath::attr(field.name)),
                    );
                }
            }
        }
    }

    async fn create(
        &self,
        ctx: &Context<'_, GraphClient>,
        planned: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let Some((_, gt)) = self.graph_type_of(planned) else {
            diags.error(
                "Unsupported platform",
                "The planned platform has no Graph type; this is a provider bug.",
            );
            return None;
        };
        let what = self.label(gt, planned);
        let mut body = match self.body(gt, planned, None) {
            Ok(b) => b,
            Err(e) => {
                diags.error(format!("Cannot build the request for {what}"), e);
                return None;
            }
        };
        body.insert("@odata.type".into(), Json::from(gt.odata_type));
        let created = match ctx
            .client
            .post(COLLECTION, &Json::Object(body), &Self::options(ctx, false))
            .await
        {
            Ok(Some(json)) => json,
            Ok(None) => {
                diags.error(
                    format!("Creating {what} returned no object"),
                    "Graph answered the create without a body.",
                );
                return None;
            }
            Err(e) => {
                graph_failure(
                    diags,
                    &format!("Failed to create {} profile", self.spec.kind.label()),
                    &format!("creating {what}"),
                    &e,
                    &self.fields,
                );
                return None;
            }
        };
        tracing::info!(
            graph_type = gt.name,
            id = created.get("id").and_then(Json::as_str).unwrap_or_default(),
            "created profile"
        );
        match self.state_from_graph(gt, &created, planned) {
            Ok(state) => Some(state),
            Err(e) => {
                // The object exists: keep its id so terraform tracks (taints) it.
                diags.error(format!("Created {what} but could not read the answer"), e);
                let mut partial = planned.clone();
                if let Some(id) = created.get("id").and_then(Json::as_str) {
                    partial.set("id", Value::string(id));
                }
                Some(partial)
            }
        }
    }

    async fn read(
        &self,
        ctx: &Context<'_, GraphClient>,
        state: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let id = state.get("id").as_str().unwrap_or_default();
        let Some((_, gt)) = self.graph_type_of(state) else {
            diags.error(
                "Invalid state",
                "The stored platform is unknown; re-import the resource.",
            );
            return Some(state.clone());
        };
        let what = self.label(gt, state);
        match ctx
            .client
            .get(&Self::item_path(id), &Self::options(ctx, false))
            .await
        {
            Ok(json) => {
                let actual = json
                    .get("@odata.type")
                    .and_then(Json::as_str)
                    .map(bare_type_name)
                    .unwrap_or_default();
                if actual != gt.name {
                    diags.error(
                        format!("{what} changed type"),
                        format!("Graph now reports {id} as a {actual}, not a {}. Remove it from state and import it again.", gt.name),
                    );
                    return Some(state.clone());
                }
                match self.state_from_graph(gt, &json, state) {
                    Ok(v) => Some(v),
                    Err(e) => {
                        diags.error(format!("Cannot read {what}"), e);
                        Some(state.clone())
                    }
                }
            }
            Err(e) if e.is_not_found() => {
                tracing::info!(id, "profile no longer exists; removing it from state");
                None
            }
            Err(e) => {
                graph_failure(
                    diags,
                    &format!("Failed to read {} profile", self.spec.kind.label()),
                    &format!("reading {what} ({id})"),
                    &e,
                    &[],
                );
                Some(state.clone())
            }
        }
    }

    async fn update(
        &self,
        ctx: &Context<'_, GraphClient>,
        prior: &Value,
        planned: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let id = prior.get("id").as_str().unwrap_or_default().to_string();
        let Some((_, gt)) = self.graph_type_of(planned) else {
            diags.error(
                "Unsupported platform",
                "The planned platform has no Graph type; this is a provider bug.",
            );
            return None;
        };
        let what = self.label(gt, planned);
        let mut body = match self.body(gt, planned, Some(prior)) {
            Ok(b) => b,
            Err(e) => {
                diags.error(format!("Cannot build the request for {what}"), e);
                return None;
            }
        };
        if body.is_empty() {
            // Nothing Graph holds changed (say, only timeouts): no PATCH.
            return Some(planned.clone());
        }
        body.insert("@odata.type".into(), Json::from(gt.odata_type));
        let path = Self::item_path(&id);
        if let Err(e) = ctx
            .client
            .patch(&path, &Json::Object(body), &Self::options(ctx, false))
            .await
        {
            graph_failure(
                diags,
                &format!("Failed to update {} profile", self.spec.kind.label()),
                &format!("updating {what} ({id})"),
                &e,
                &self.fields,
            );
            return None;
        }
        match ctx.client.get(&path, &Self::options(ctx, true)).await {
            Ok(json) => match self.state_from_graph(gt, &json, planned) {
                Ok(v) => Some(v),
                Err(e) => {
                    diags.error(format!("Updated {what} but could not read it back"), e);
                    None
                }
            },
            Err(e) => {
                graph_failure(
                    diags,
                    &format!(
                        "Failed to read {} profile after update",
                        self.spec.kind.label()
                    ),
                    &format!("reading {what} ({id})"),
                    &e,
                    &[],
                );
                None
            }
        }
    }

    async fn delete(&self, ctx: &Context<'_, GraphClient>, prior: &Value, diags: &mut Diagnostics) {
        let id = prior.get("id").as_str().unwrap_or_default();
        match ctx
            .client
            .delete(&Self::item_path(id), &Self::options(ctx, false))
            .await
        {
            Ok(()) => tracing::info!(id, "deleted profile"),
            Err(e) if e.is_not_found() => tracing::info!(id, "profile was already gone"),
            Err(e) => graph_failure(
                diags,
                &format!("Failed to delete {} profile", self.spec.kind.label()),
                &format!("deleting {id}"),
                &e,
                &[],
            ),
        }
    }

    async fn import(
        &self,
        ctx: &Context<'_, GraphClient>,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let kind = self.spec.kind;
        let json = match ctx
            .client
            .get(&Self::item_path(id), &Self::options(ctx, false))
            .await
        {
            Ok(json) => json,
            Err(e) if e.is_not_found() => {
                diags.error(
                    "Cannot import non-existent profile",
                    format!("Graph has no device configuration with id {id:?}. Check the id in the Intune admin center (the GUID in the profile's URL)."),
                );
                return None;
            }
            Err(e) => {
                graph_failure(
                    diags,
                    "Failed to import profile",
                    &format!("reading {id}"),
                    &e,
                    &[],
                );
                return None;
            }
        };
        let odata = json
            .get("@odata.type")
            .and_then(Json::as_str)
            .map(bare_type_name)
            .unwrap_or("an untyped object");
        let row = match platform::identify(odata) {
            Some(row) if row.kind == kind => row,
            Some(row) => {
                diags.error(
                    format!("Wrong resource type for {id}"),
                    format!(
                        "{id} is a {} profile for platform {:?} ({odata}), not a {} profile. Import it as {} instead.",
                        row.kind.label(),
                        row.platform.keyword(),
                        kind.label(),
                        row.kind.resource_type()
                    ),
                );
                return None;
            }
            None => {
                diags.error(
                    format!("Wrong resource type for {id}"),
                    format!("{id} is a {odata} device configuration, not a certificate profile this provider manages."),
                );
                return None;
            }
        };
        let gt = platform::graph_type(kind, row.platform)?;
        match self.state_from_graph(gt, &json, &Value::Null) {
            Ok(state) => Some(state),
            Err(e) => {
                diags.error(format!("Cannot import {id}"), e);
                None
            }
        }
    }
}

fn build_schema(spec: &ProfileKindSpec, fields: &[&'static Field]) -> Schema {
    let kind = spec.kind;
    let supported = platform::platforms(kind);
    let mut block = Block::new().description(spec.description);
    block = block.attribute(
        Attribute::new("id", Type::String, Mode::Computed)
            .description("The profile's Graph id (a GUID)."),
    );
    let table: Vec<String> = supported
        .iter()
        .map(|p| format!("`{}` ({})", p.keyword(), p.label()))
        .collect();
    let equal_types = move |a: &Value, b: &Value| {
        let t = |v: &Value| {
            v.as_str()
                .and_then(Platform::from_keyword)
                .and_then(|p| platform::graph_type(kind, p))
                .map(|t| t.name)
        };
        t(a).is_some() && t(a) == t(b)
    };
    block = block.attribute(
        Attribute::new("platform", Type::String, Mode::Required)
            .description(format!(
                "Platform the profile targets; changing it replaces the profile. One of {}.",
                table.join(", ")
            ))
            .plan_rule(PlanRule::RequiresReplace)
            .equivalence(Arc::new(equal_types)),
    );
    for field in fields {
        if field.is_block() {
            block = block.block(nested_block(kind, field));
        } else {
            block = block.attribute(attribute(kind, field));
        }
    }
    if fields
        .iter()
        .any(|f| matches!(f.ty, FieldType::Certificate))
    {
        for (name, text) in CERT_FACTS {
            block = block
                .attribute(Attribute::new(name, Type::String, Mode::Computed).description(text));
        }
    }
    block = block
        .attribute(
            Attribute::new(CREATED, Type::String, Mode::Computed)
                .description("When the profile was created (RFC 3339)."),
        )
        .attribute(
            Attribute::new(MODIFIED, Type::String, Mode::Computed)
                .description("When the profile was last modified (RFC 3339).")
                .plan_rule(PlanRule::UnknownOnUpdate),
        )
        .attribute(
            Attribute::new(VERSION, Type::Number, Mode::Computed)
                .description("Intune's version counter of the profile; it grows with every change.")
                .plan_rule(PlanRule::UnknownOnUpdate),
        );
    Schema::new(block)
}

fn field_type(field: &Field) -> Type {
    match field.ty {
        FieldType::String | FieldType::Enum | FieldType::Certificate => Type::String,
        FieldType::Int32 => Type::Number,
        FieldType::Bool => Type::Bool,
        FieldType::Flags | FieldType::StringSet => Type::set(Type::String),
        FieldType::StringList => Type::list(Type::String),
        FieldType::Object(_) | FieldType::ObjectSet(_) => Type::Dynamic,
    }
}

fn attribute(kind: ProfileKind, field: &Field) -> Attribute {
    let mut description = field.description.to_string();
    let members = enum_union(kind, field);
    if !members.is_empty() {
        let list: Vec<String> = members.iter().map(|m| format!("`{m}`")).collect();
        description.push_str(&format!(" Values: {}.", list.join(", ")));
    }
    let on = platforms_with(kind, field);
    if on.len() < platform::platforms(kind).len() {
        description.push_str(&format!(" Only for platform {}.", keyword_list(&on)));
    }
    let mut attr =
        Attribute::new(field.name, field_type(field), field.mode).description(description);
    if field.sensitive {
        attr = attr.sensitive();
    }
    if let Some((min, max)) = field.range {
        attr = attr.validator(Validator::IntRange { min, max });
    } else if matches!(field.ty, FieldType::Int32) {
        attr = attr.validator(Validator::IntRange {
            min: i32::MIN.into(),
            max: i32::MAX.into(),
        });
    }
    if field.name == "display_name" {
        attr = attr.validator(Validator::NotBlank);
    }
    if matches!(field.ty, FieldType::Certificate) {
        attr = attr
            .validator(Validator::Custom(Arc::new(|v, path, diags| {
                if let Some(Err(e)) = v.as_str().map(certificate::parse) {
                    diags.error_at(
                        path.clone(),
                        "Invalid certificate",
                        format!("The certificate cannot be used: {e}."),
                    );
                }
            })))
            .equivalence(Arc::new(|a, b| match (a.as_str(), b.as_str()) {
                (Some(a), Some(b)) => certificate::same_certificate(a, b),
                _ => false,
            }));
    }
    attr
}

/// A complex property as a nested block; its own enum members do not vary
/// by platform, so they are checked by plain validators.
fn nested_block(kind: ProfileKind, field: &Field) -> NestedBlock {
    let (subfields, nesting) = match field.ty {
        FieldType::Object(s) => (s, Nesting::Single),
        FieldType::ObjectSet(s) => (s, Nesting::Set),
        _ => (&[][..], Nesting::Single),
    };
    let props = platform::platforms(kind)
        .into_iter()
        .filter_map(|p| platform::graph_type(kind, p)?.property(field.graph))
        .map(fields::complex_properties)
        .next()
        .unwrap_or(&[]);
    let mut block = Block::new().description(field.description);
    for sub in subfields {
        let mut attr =
            Attribute::new(sub.name, field_type(sub), sub.mode).description(sub.description);
        if let Some(members) = props
            .iter()
            .find(|p| p.name == sub.graph)
            .and_then(property_enum)
            .map(|e| e.members)
        {
            attr = match sub.ty {
                FieldType::Enum => attr.validator(Validator::one_of(members)),
                _ => attr.validator(Validator::each_one_of(members)),
            };
            let list: Vec<String> = members.iter().map(|m| format!("`{m}`")).collect();
            attr.description
                .push_str(&format!(" Values: {}.", list.join(", ")));
        }
        block = block.attribute(attr);
    }
    // A single block may appear once by its nesting mode; terraform requires
    // its min and max items to be 0 (optional) or 1 (required).
    NestedBlock::new(field.name, nesting, block)
}

/// Platforms of `kind` whose Graph type has the field's property.
pub fn platforms_with(kind: ProfileKind, field: &Field) -> Vec<Platform> {
    platform::platforms(kind)
        .into_iter()
        .filter(|&p| {
            platform::graph_type(kind, p).is_some_and(|t| t.property(field.graph).is_some())
        })
        .collect()
}

/// Enum members the field accepts on any platform of `kind`.
fn enum_union(kind: ProfileKind, field: &Field) -> Vec<&'static str> {
    if !matches!(field.ty, FieldType::Enum | FieldType::Flags) {
        return Vec::new();
    }
    let mut out: Vec<&'static str> = Vec::new();
    for p in platform::platforms(kind) {
        let Some(prop) = platform::graph_type(kind, p).and_then(|t| t.property(field.graph)) else {
            continue;
        };
        for m in property_enum(prop).map(|e| e.members).unwrap_or(&[]) {
            if !out.contains(m) {
                out.push(m);
            }
        }
    }
    out
}

fn check_enum(
    field: &Field,
    value: &Value,
    path: &AttributePath,
    members: &[&str],
    diags: &mut Diagnostics,
) {
    if members.is_empty() {
        return;
    }
    let validator = match field.ty {
        FieldType::Enum => Validator::one_of(members),
        FieldType::Flags => Validator::each_one_of(members),
        _ => return,
    };
    validator.check(value, path, field.name, diags);
}

/// Set in the configuration: known and not null, or unknown (it may be).
fn is_set(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::List(items) | Value::Set(items) => !items.is_empty(),
        _ => true,
    }
}

fn is_empty_collection(v: &Value) -> bool {
    v.as_elements().is_some_and(<[Value]>::is_empty)
}

/// Percent-encodes an id for use as one URL path segment.
fn encode_segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
