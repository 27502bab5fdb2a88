//! Strict request extractors (platform.md §4, §6): JSON bodies and query strings are read field by
//! field, unknown properties are refused, nothing is coerced, and every problem is reported at
//! once as `VALIDATION_ERROR` with `details.fields`.

use std::collections::BTreeSet;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::{AppError, FieldError};

/// A request DTO built from a JSON object.
pub trait FromJson: Sized {
    /// Reads every field through `f`; returns `None` when a field was missing or invalid (the
    /// problem is recorded in `f`).
    fn from_json(f: &mut JsonFields) -> Option<Self>;
}

/// A request DTO built from the query string.
pub trait FromQuery: Sized {
    fn from_query(q: &mut QueryFields) -> Option<Self>;
}

/// A PATCH field: absent, explicitly `null`, or a value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Patch<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<T> Patch<T> {
    pub fn is_absent(&self) -> bool {
        matches!(self, Patch::Absent)
    }
}

/// The collector of field problems shared by body and query readers.
#[derive(Debug, Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_error(self) -> AppError {
        AppError::validation(self.0)
    }

    pub fn into_vec(self) -> Vec<FieldError> {
        self.0
    }
}

/// Field-by-field reader of a JSON object body.
#[derive(Debug)]
pub struct JsonFields {
    map: Map<String, Value>,
    read: BTreeSet<String>,
    prefix: String,
    pub problems: Problems,
}

impl JsonFields {
    pub fn new(map: Map<String, Value>) -> Self {
        Self {
            map,
            read: BTreeSet::new(),
            prefix: String::new(),
            problems: Problems::default(),
        }
    }

    fn path(&self, name: &str) -> String {
        format!("{}{}", self.prefix, name)
    }

    fn take(&mut self, name: &str) -> Option<Value> {
        self.read.insert(name.to_string());
        match self.map.get(name) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.clone()),
        }
    }

    pub fn problem(&mut self, field: &str, message: impl Into<String>) {
        let path = self.path(field);
        self.problems.add(path, message);
    }

    /// True when the property is present, even as `null`.
    pub fn present(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    fn missing(&mut self, name: &str) {
        let path = self.path(name);
        self.problems
            .add(path.clone(), format!("{path} wajib diisi"));
    }

    fn wrong_type(&mut self, name: &str, kind: &str) {
        let path = self.path(name);
        self.problems
            .add(path.clone(), format!("{path} harus berupa {kind}"));
    }

    pub fn opt_string(&mut self, name: &str) -> Option<String> {
        match self.take(name)? {
            Value::String(s) if s.contains('\0') => {
                let path = self.path(name);
                self.problems.add(path.clone(), nul_message(&path));
                None
            }
            Value::String(s) => Some(s),
            _ => {
                self.wrong_type(name, "teks");
                None
            }
        }
    }

    pub fn string(&mut self, name: &str) -> Option<String> {
        let present = self.map.get(name).is_some_and(|v| !v.is_null());
        let value = self.opt_string(name);
        if !present {
            self.missing(name);
        }
        value
    }

    /// Absent, `null` or a string (PATCH semantics).
    pub fn patch_string(&mut self, name: &str) -> Patch<String> {
        if !self.present(name) {
            self.read.insert(name.to_string());
            return Patch::Absent;
        }
        match self.opt_string(name) {
            Some(s) => Patch::Value(s),
            None if self.map.get(name).is_some_and(Value::is_null) => Patch::Null,
            None => Patch::Absent,
        }
    }

    pub fn opt_bool(&mut self, name: &str) -> Option<bool> {
        match self.take(name)? {
            Value::Bool(b) => Some(b),
            _ => {
                self.wrong_type(name, "boolean");
                None
            }
        }
    }

    pub fn opt_i64(&mut self, name: &str) -> Option<i64> {
        match self.take(name)? {
            Value::Number(n) if n.is_i64() => n.as_i64(),
            _ => {
                self.wrong_type(name, "bilangan bulat");
                None
            }
        }
    }

    pub fn i64(&mut self, name: &str) -> Option<i64> {
        let present = self.map.get(name).is_some_and(|v| !v.is_null());
        let value = self.opt_i64(name);
        if !present {
            self.missing(name);
        }
        value
    }

    pub fn opt_uuid(&mut self, name: &str) -> Option<Uuid> {
        let raw = self.opt_string(name)?;
        match parse_uuid(&raw) {
            Some(id) => Some(id),
            None => {
                let path = self.path(name);
                self.problems
                    .add(path.clone(), format!("{path} harus berupa UUID v4"));
                None
            }
        }
    }

    pub fn uuid(&mut self, name: &str) -> Option<Uuid> {
        let present = self.map.get(name).is_some_and(|v| !v.is_null());
        let value = self.opt_uuid(name);
        if !present {
            self.missing(name);
        }
        value
    }

    /// Any JSON value (already type-checked by the caller).
    pub fn opt_value(&mut self, name: &str) -> Option<Value> {
        self.take(name)
    }

    /// A nested object read with the same rules; its problems are reported as `name.field`.
    pub fn opt_object<T>(
        &mut self,
        name: &str,
        read: impl FnOnce(&mut JsonFields) -> T,
    ) -> Option<T> {
        match self.take(name)? {
            Value::Object(map) => {
                let mut nested = JsonFields::new(map);
                nested.prefix = format!("{}{}.", self.prefix, name);
                let value = read(&mut nested);
                nested.reject_unknown();
                self.problems.0.extend(nested.problems.0);
                Some(value)
            }
            _ => {
                self.wrong_type(name, "objek");
                None
            }
        }
    }

    fn reject_unknown(&mut self) {
        let unknown: Vec<String> = self
            .map
            .keys()
            .filter(|k| !self.read.contains(*k))
            .cloned()
            .collect();
        for key in unknown {
            let path = self.path(&key);
            self.problems.add(path, "properti tidak dikenal");
        }
    }

    /// Ends reading: unknown properties become problems; any problem fails the request.
    pub fn finish<T>(mut self, value: Option<T>) -> Result<T, AppError> {
        self.reject_unknown();
        match value {
            Some(v) if self.problems.is_empty() => Ok(v),
            _ if !self.problems.is_empty() => Err(self.problems.into_error()),
            _ => Err(AppError::validation(vec![FieldError::new(
                "body",
                "Data tidak lengkap",
            )])),
        }
    }
}

/// PostgreSQL text cannot hold U+0000: a NUL in a string would fail the query (a 500) wherever the
/// value is stored or used as a filter, so both readers refuse it up front.
fn nul_message(field: &str) -> String {
    format!("{field} tidak boleh berisi karakter NUL")
}

/// Parses a body already read as bytes (used by [`StrictJson`] and by handlers that also need the
/// raw bytes).
pub fn parse_json_body<T: FromJson>(bytes: &[u8]) -> Result<T, AppError> {
    let value: Value = if bytes.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Map::new())
    } else {
        serde_json::from_slice(bytes).map_err(|_| AppError::bad_request())?
    };
    let Value::Object(map) = value else {
        return Err(AppError::validation(vec![FieldError::new(
            "body",
            "body harus berupa objek JSON",
        )]));
    };
    let mut fields = JsonFields::new(map);
    let value = T::from_json(&mut fields);
    fields.finish(value)
}

/// True for `application/json` and `application/*+json`, with or without parameters.
pub fn is_json_content_type(value: &str) -> bool {
    let mime = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// Reads the body bytes, enforcing the 1 MiB limit (413) and the JSON content type (415).
pub async fn read_json_bytes(req: Request) -> Result<Bytes, AppError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().map(is_json_content_type).unwrap_or(false));
    let bytes = Bytes::from_request(req, &()).await.map_err(|rejection| {
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::payload_too_large()
        } else {
            AppError::bad_request()
        }
    })?;
    if !bytes.is_empty() && content_type != Some(true) {
        return Err(AppError::unsupported_media_type());
    }
    Ok(bytes)
}

/// A JSON body read strictly into `T`.
#[derive(Debug)]
pub struct StrictJson<T>(pub T);

impl<S: Send + Sync, T: FromJson> FromRequest<S> for StrictJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, _: &S) -> Result<Self, AppError> {
        let bytes = read_json_bytes(req).await?;
        parse_json_body(&bytes).map(StrictJson)
    }
}

/// Field-by-field reader of a query string; values are parsed as their declared type.
#[derive(Debug)]
pub struct QueryFields {
    pairs: Vec<(String, String)>,
    read: BTreeSet<String>,
    pub problems: Problems,
}

impl QueryFields {
    pub fn parse(query: &str) -> Result<Self, AppError> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(query).map_err(|_| AppError::bad_request())?;
        Ok(Self {
            pairs,
            read: BTreeSet::new(),
            problems: Problems::default(),
        })
    }

    /// The last value given for `name`; empty values count as absent.
    pub fn string(&mut self, name: &str) -> Option<String> {
        self.read.insert(name.to_string());
        let value = self
            .pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())?;
        if value.contains('\0') {
            self.problem(name, nul_message(name));
            return None;
        }
        Some(value)
    }

    pub fn problem(&mut self, field: &str, message: impl Into<String>) {
        self.problems.add(field, message);
    }

    pub fn u32(&mut self, name: &str) -> Option<u32> {
        let raw = self.string(name)?;
        match raw.parse() {
            Ok(v) => Some(v),
            Err(_) => {
                self.problem(name, format!("{name} harus berupa bilangan bulat positif"));
                None
            }
        }
    }

    pub fn uuid(&mut self, name: &str) -> Option<Uuid> {
        let raw = self.string(name)?;
        match parse_uuid(&raw) {
            Some(id) => Some(id),
            None => {
                self.problem(name, format!("{name} harus berupa UUID v4"));
                None
            }
        }
    }

    /// One of the listed values, compared exactly.
    pub fn one_of(&mut self, name: &str, allowed: &[&str]) -> Option<String> {
        let raw = self.string(name)?;
        if allowed.contains(&raw.as_str()) {
            Some(raw)
        } else {
            self.problem(
                name,
                format!("{name} harus salah satu dari: {}", allowed.join(", ")),
            );
            None
        }
    }

    pub fn finish<T>(mut self, value: Option<T>) -> Result<T, AppError> {
        let unknown: BTreeSet<String> = self
            .pairs
            .iter()
            .map(|(k, _)| k.clone())
            .filter(|k| !self.read.contains(k))
            .collect();
        for key in unknown {
            self.problems.add(key, "properti tidak dikenal");
        }
        match value {
            Some(v) if self.problems.is_empty() => Ok(v),
            _ if !self.problems.is_empty() => Err(self.problems.into_error()),
            _ => Err(AppError::bad_request()),
        }
    }
}

/// A query string read strictly into `T`.
#[derive(Debug)]
pub struct StrictQuery<T>(pub T);

impl<S: Send + Sync, T: FromQuery> FromRequestParts<S> for StrictQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let mut fields = QueryFields::parse(parts.uri.query().unwrap_or(""))?;
        let value = T::from_query(&mut fields);
        fields.finish(value).map(StrictQuery)
    }
}

/// A route without query parameters: any parameter is unknown.
#[derive(Debug, Clone, Copy)]
pub struct NoQuery;

impl FromQuery for NoQuery {
    fn from_query(_: &mut QueryFields) -> Option<Self> {
        Some(NoQuery)
    }
}

/// The optional `{"reason": …}` body of back-office actions (cancel, expire, retry), at most
/// 500 characters; the body itself may be empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasonBody(pub Option<String>);

impl FromJson for ReasonBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        let reason = f.opt_string("reason");
        if reason.as_ref().is_some_and(|r| r.chars().count() > 500) {
            f.problem("reason", "reason maksimal 500 karakter");
            return None;
        }
        Some(ReasonBody(reason))
    }
}

/// An empty (or `{}`) body: any property is unknown.
#[derive(Debug, Clone, Copy)]
pub struct NoBody;

impl FromJson for NoBody {
    fn from_json(_: &mut JsonFields) -> Option<Self> {
        Some(NoBody)
    }
}

/// A canonical hyphenated UUID, accepted case-insensitively.
pub fn parse_uuid(raw: &str) -> Option<Uuid> {
    if raw.len() != 36 {
        return None;
    }
    Uuid::try_parse(raw).ok()
}

/// A path parameter that must be a UUID (`400 VALIDATION_ERROR` naming the parameter otherwise).
pub fn path_uuid(name: &str, raw: &str) -> Result<Uuid, AppError> {
    parse_uuid(raw)
        .ok_or_else(|| AppError::invalid_field(name, format!("{name} harus berupa UUID v4")))
}

/// Practical e-mail syntax check: one `@`, a non-empty local part, a dotted domain of letters,
/// digits and hyphens, no whitespace or control characters.
pub fn is_valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    if local.is_empty() || local.len() > 64 || domain.contains('@') || domain.len() > 253 {
        return false;
    }
    let local_ok = local
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    local_ok && domain_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, PartialEq)]
    struct Sample {
        name: String,
        age: Option<i64>,
        id: Uuid,
    }

    impl FromJson for Sample {
        fn from_json(f: &mut JsonFields) -> Option<Self> {
            let name = f.string("name");
            let age = f.opt_i64("age");
            let id = f.uuid("id");
            Some(Sample {
                name: name?,
                age,
                id: id?,
            })
        }
    }

    fn fields_of(err: AppError) -> Vec<String> {
        let details = err.details.expect("details");
        details["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .map(|f| f["field"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    #[test]
    fn reads_a_valid_body() {
        let body =
            json!({"name": "Budi", "id": "6F0429EA-4344-496D-BD40-1F4E47A6220C"}).to_string();
        let sample: Sample = parse_json_body(body.as_bytes()).expect("valid");
        assert_eq!(sample.name, "Budi");
        assert_eq!(
            sample.id.to_string(),
            "6f0429ea-4344-496d-bd40-1f4e47a6220c"
        );
    }

    #[test]
    fn lists_every_problem_at_once() {
        let body = json!({"age": "10", "id": "nope", "role": "admin"}).to_string();
        let err = parse_json_body::<Sample>(body.as_bytes()).expect_err("invalid");
        assert_eq!(err.code, "VALIDATION_ERROR");
        assert_eq!(fields_of(err), vec!["name", "age", "id", "role"]);
    }

    #[test]
    fn malformed_json_is_bad_request_and_arrays_are_refused() {
        assert_eq!(
            parse_json_body::<Sample>(b"{\"name\":")
                .expect_err("bad")
                .code,
            "BAD_REQUEST"
        );
        assert_eq!(
            parse_json_body::<Sample>(b"[1]").expect_err("array").code,
            "VALIDATION_ERROR"
        );
    }

    #[test]
    fn a_nul_character_is_a_validation_error_in_bodies_and_queries() {
        let body = json!({"name": "Bu\u{0}di", "id": "6f0429ea-4344-496d-bd40-1f4e47a6220c"});
        let err = parse_json_body::<Sample>(body.to_string().as_bytes()).expect_err("NUL");
        assert_eq!(fields_of(err), vec!["name"]);
        let mut q = QueryFields::parse("userId=a%00b").expect("parse");
        let user = q.string("userId");
        assert_eq!(user, None);
        assert_eq!(fields_of(q.finish(user).expect_err("NUL")), vec!["userId"]);
    }

    #[test]
    fn query_rejects_unknown_and_mistyped() {
        let mut q = QueryFields::parse("page=abc&foo=1").expect("parse");
        let page = q.u32("page");
        let err = q.finish(page).expect_err("invalid");
        assert_eq!(fields_of(err), vec!["page", "foo"]);
    }

    #[test]
    fn emails() {
        for ok in ["budi@example.com", "a.b+tag@sub.example.co.id"] {
            assert!(is_valid_email(ok), "{ok}");
        }
        for bad in [
            "",
            "budi",
            "budi@",
            "@x.com",
            "a@b",
            "a b@x.com",
            "a@x..com",
            "a@-x.com",
            "a@x.c0m",
            "'; DROP TABLE users;--@x.com x",
        ] {
            assert!(!is_valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn uuids_must_be_canonical() {
        assert!(parse_uuid("6f0429ea-4344-496d-bd40-1f4e47a6220c").is_some());
        assert!(parse_uuid("6f0429ea4344496dbd401f4e47a6220c").is_none());
        assert!(parse_uuid("not-a-uuid").is_none());
    }
}
