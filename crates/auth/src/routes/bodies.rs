//! The document's view of the request bodies and query strings. The `FromJson`/`FromQuery`
//! readers beside each handler are the authority: they reject unknown fields and report every
//! problem of a request together; these types only mirror their names, types and limits.

#![allow(dead_code)]

use serde::Deserialize;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{KnownFormat, RefOr, SchemaFormat};
use utoipa::{PartialSchema, ToSchema};

use crate::domain::profile;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
// An address no demo account uses and a password meeting the default policy: the first use on a
// fresh development platform registers it (201), later ones are `EMAIL_ALREADY_EXISTS`.
#[schema(as = RegisterBody, example = json!({
    "email": "budi.santoso@example.com",
    "password": "Rahasia123!",
    "fullName": "Budi Santoso",
    "phoneNumber": "+6281234567890",
    "timezone": "Asia/Jakarta",
    "language": "id"
}))]
pub struct RegisterRequest {
    /// Trimmed and lower-cased; unique regardless of case.
    #[schema(format = Email, max_length = 255)]
    email: String,
    /// The password policy of auth.md §5.2 (by default 8–128 characters with an upper-case
    /// letter, a lower-case letter, a digit and a special character); failures list the unmet
    /// `details.requirements`.
    #[schema(max_length = 128)]
    password: String,
    /// Trimmed (Unicode white space); then 1–255 characters without `<`, `>` or control
    /// characters.
    #[schema(
        pattern = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^<>\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000](?:[^<>\x00-\x1f\x7f-\x9f]{0,253}[^<>\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    full_name: String,
    /// Surrounding whitespace is trimmed.
    #[schema(
        pattern = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*\+?[1-9][0-9]{7,14}[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    phone_number: Option<String>,
    /// Default `Asia/Jakarta`.
    #[schema(value_type = Option<TimezoneName>)]
    timezone: Option<String>,
    /// ISO 639-1; default `id`.
    #[schema(pattern = r"^[a-z]{2}$")]
    language: Option<String>,
}

/// The e-mailed token of `verify-email`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = TokenBody)]
pub struct TokenRequest {
    /// At most 512 bytes of UTF-8 (issued tokens are ASCII). There is no static example: a
    /// token exists only once auth has e-mailed it.
    #[schema(min_length = 1, max_length = 512)]
    token: String,
}

/// `resend-verification` and `forgot-password`: rate-limited per e-mail.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = EmailBody)]
pub struct EmailRequest {
    #[schema(format = Email, max_length = 255)]
    email: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
// The demo customer of `webrana dev` (auth.md §8, README "Demo logins"): Swagger UI's "Try it out"
// and scripts/fuzz.sh log in with it on a development platform.
#[schema(as = LoginBody, example = json!({
    "email": "customer@webrana.cloud",
    "password": "Customer123!"
}))]
pub struct LoginRequest {
    #[schema(format = Email, max_length = 255)]
    email: String,
    #[schema(min_length = 1, max_length = 128)]
    password: String,
    /// Stored with the session; the `User-Agent` (first 500 characters) when absent.
    #[schema(max_length = 500)]
    device_info: Option<String>,
}

/// `refresh` and `logout`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
#[schema(as = RefreshBody)]
pub struct RefreshRequest {
    /// At most 512 bytes of UTF-8 (issued tokens are ASCII).
    #[schema(min_length = 1, max_length = 512)]
    refresh_token: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
#[schema(as = ResetPasswordBody)]
pub struct ResetPasswordRequest {
    /// The token from the reset or set-password e-mail.
    #[schema(min_length = 1, max_length = 512)]
    token: String,
    /// The password policy of auth.md §5.2.
    #[schema(max_length = 128)]
    new_password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
#[schema(as = ChangePasswordBody)]
pub struct ChangePasswordRequest {
    current_password: String,
    /// The password policy of auth.md §5.2.
    #[schema(max_length = 128)]
    new_password: String,
}

/// At least one property; `email`, `role`, `status`, `telegramChatId` and any other field are
/// refused.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
#[schema(as = PatchMeBody, min_properties = 1)]
pub struct PatchMeRequest {
    /// Trimmed (Unicode white space); then 1–255 characters without `<`, `>` or control
    /// characters.
    #[schema(
        pattern = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^<>\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000](?:[^<>\x00-\x1f\x7f-\x9f]{0,253}[^<>\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    full_name: Option<String>,
    /// `null` clears it.
    /// Surrounding whitespace is trimmed.
    #[schema(
        pattern = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*\+?[1-9][0-9]{7,14}[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    phone_number: Option<String>,
    #[schema(value_type = Option<TimezoneName>)]
    timezone: Option<String>,
    /// ISO 639-1.
    #[schema(pattern = r"^[a-z]{2}$")]
    language: Option<String>,
    /// Merged: an absent channel keeps its value.
    notification_preferences: Option<PreferencesPatch>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NotificationPreferencesPatch)]
pub struct PreferencesPatch {
    email: Option<bool>,
    telegram: Option<bool>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
#[schema(as = TelegramBody)]
pub struct TelegramRequest {
    #[schema(value_type = TelegramChatId)]
    chat_id: String,
    /// Trimmed, then leading `@`s stripped; what remains is 1–64 characters without whitespace or
    /// control characters. `null` is the same as absent.
    #[schema(
        pattern = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*@*[^@\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]{0,63}[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    telegram_username: Option<String>,
}

/// What the bot heard: `/start <code>` in chat `chatId`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
#[schema(as = TelegramLinkBody)]
pub struct TelegramLinkRequest {
    /// Case-insensitive.
    #[schema(min_length = 1, max_length = 16)]
    code: String,
    #[schema(value_type = TelegramChatId)]
    chat_id: String,
    /// Trimmed, then leading `@`s stripped; what remains is 1–64 characters without whitespace or
    /// control characters. `null` is the same as absent.
    #[schema(
        pattern = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*@*[^@\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]{0,63}[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    telegram_username: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
#[schema(as = TelegramUnlinkBody)]
pub struct TelegramUnlinkRequest {
    #[schema(value_type = TelegramChatId)]
    chat_id: String,
}

/// No password: the account receives a set-password e-mail (auth.md §5.6).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
#[schema(as = CreateUserBody)]
pub struct CreateUserRequest {
    #[schema(format = Email, max_length = 255)]
    email: String,
    /// Trimmed (Unicode white space); then 1–255 characters without `<`, `>` or control
    /// characters.
    #[schema(
        pattern = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^<>\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000](?:[^<>\x00-\x1f\x7f-\x9f]{0,253}[^<>\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    full_name: String,
    /// Surrounding whitespace is trimmed.
    #[schema(
        pattern = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*\+?[1-9][0-9]{7,14}[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    phone_number: Option<String>,
    /// Default `customer`; `admin` needs a `super_admin` token.
    role: Option<NewUserRole>,
    /// Default `ACTIVE`.
    status: Option<NewUserStatus>,
    /// Default `Asia/Jakarta`.
    #[schema(value_type = Option<TimezoneName>)]
    timezone: Option<String>,
    /// ISO 639-1; default `id`.
    #[schema(pattern = r"^[a-z]{2}$")]
    language: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NewUserRole {
    Customer,
    Admin,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NewUserStatus {
    Active,
    PendingVerification,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = UserStatusBody)]
pub struct StatusRequest {
    /// `SUSPENDED` and `DELETED` revoke every refresh token of the account.
    status: TargetStatus,
    /// Trimmed; shown as `statusReason`.
    #[schema(max_length = 500)]
    reason: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TargetStatus {
    Active,
    Suspended,
    Deleted,
}

/// `sort` of the admin user list: `createdAt` newest first, `email` A–Z, `lastLoginAt` most
/// recent first (never-logged-in accounts last).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum UserSort {
    CreatedAt,
    Email,
    LastLoginAt,
}

/// `timezone`: one of the IANA zone names the service knows (`domain/timezones.txt`), matched
/// exactly (case-sensitive, no trimming).
pub struct TimezoneName;

impl PartialSchema for TimezoneName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "An IANA time-zone name, matched exactly (case-sensitive), e.g. `Asia/Jakarta`",
            ))
            .enum_values(Some(profile::zone_names()))
            .into()
    }
}

impl ToSchema for TimezoneName {}

/// A Telegram chat id as `profile::read_chat_id` reads it: a string (trimmed) or a JSON integer.
pub struct TelegramChatId;

impl PartialSchema for TelegramChatId {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .description(Some(
                "A Telegram chat id (group chats are negative): a string of 1–20 digits with an \
                 optional leading `-` (surrounding whitespace is trimmed), or a JSON integer; \
                 either way it is kept as a string",
            ))
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(
                        r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*-?[0-9]{1,20}[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$",
                    )),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64))),
            )
            .into()
    }
}

impl ToSchema for TelegramChatId {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_timezone_enum_is_the_accepted_list() {
        let schema = serde_json::to_value(TimezoneName::schema()).unwrap();
        let names = schema["enum"].as_array().expect("enum");
        assert_eq!(names.len(), profile::zone_names().len());
        assert!(names.contains(&json!("Asia/Jakarta")) && names.contains(&json!("UTC")));
    }
}
