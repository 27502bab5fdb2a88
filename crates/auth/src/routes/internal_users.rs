//! Admin routes over accounts (auth.md §6.16–§6.19): API key or an admin token.

use axum::extract::{Path, State};
use platform::ApiResult;
use platform::auth::{AdminCaller, Role};
use platform::extract::{
    FromQuery, JsonFields, NoQuery, QueryFields, StrictJson, StrictQuery, path_uuid,
};
use platform::http::{Created, Data, RequestContext};
use platform::openapi::{DataBody, ErrorBody, PageParams};
use platform::pagination::{PageQuery, Paginated};

use super::bodies::{CreateUserRequest, StatusRequest, UserSort};
use super::views::CreatedUser;
use crate::accounts::{self, AdminCreate};
use crate::domain::errors;
use crate::domain::profile;
use crate::domain::user::{RoleName, UserDetail, UserProfile, UserStatus, UserWithReason};
use crate::state::AppState;
use crate::store::refresh_tokens;
use crate::store::users::{self, ListFilter, ListSort};

pub struct ListQuery {
    page: PageQuery,
    filter: ListFilter,
}

impl FromQuery for ListQuery {
    fn from_query(q: &mut QueryFields) -> Option<Self> {
        let page = PageQuery::read(q);
        let search = q.string("search");
        if search.as_ref().is_some_and(|s| s.chars().count() > 255) {
            q.problem("search", "search maksimal 255 karakter");
        }
        let role = q
            .one_of("role", &["customer", "admin", "super_admin"])
            .and_then(|r| Role::parse(&r));
        let status = q
            .one_of(
                "status",
                &["PENDING_VERIFICATION", "ACTIVE", "SUSPENDED", "DELETED"],
            )
            .and_then(|s| UserStatus::parse(&s));
        let sort = match q
            .one_of("sort", &["createdAt", "email", "lastLoginAt"])
            .as_deref()
        {
            Some("email") => ListSort::Email,
            Some("lastLoginAt") => ListSort::LastLoginAt,
            _ => ListSort::CreatedAt,
        };
        Some(ListQuery {
            page,
            filter: ListFilter {
                search,
                role,
                status,
                sort,
            },
        })
    }
}

/// Every account, for the back office (auth.md §6.16).
#[utoipa::path(get, path = "/api/v1/internal/users", tag = "internal", operation_id = "listUsers",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(
        PageParams,
        ("search" = Option<String>, Query, max_length = 255, description = "Case-insensitive substring of the e-mail or full name"),
        ("role" = inline(Option<RoleName>), Query, description = "Only accounts with this role"),
        ("status" = inline(Option<UserStatus>), Query, description = "Only accounts in this status"),
        ("sort" = inline(Option<UserSort>), Query, description = "Default `createdAt`"),
    ),
    responses(
        (status = 200, description = "A page of UserProfiles", body = Paginated<UserProfile>),
        (status = 400, description = "`VALIDATION_ERROR`, `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin or not active admin token)", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _caller: AdminCaller,
    StrictQuery(query): StrictQuery<ListQuery>,
) -> ApiResult<Paginated<UserProfile>> {
    let (rows, total) = users::list(
        &state.pool,
        &query.filter,
        query.page.limit(),
        query.page.offset(),
    )
    .await?;
    Ok(Paginated::new(
        rows.iter().map(|u| u.profile()).collect(),
        query.page,
        total,
    ))
}

/// One account with its back-office fields; also the user lookup of notification and billing
/// (auth.md §6.17). A `DELETED` account is returned with that status.
#[utoipa::path(get, path = "/api/v1/internal/users/{id}", tag = "internal", operation_id = "getUser",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "UserProfile plus `statusReason`, `lastPasswordChangeAt`, `activeSessions`", body = DataBody<UserDetail>),
        (status = 400, description = "`VALIDATION_ERROR` (id is not a UUID, or a query parameter was sent)", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin or not active admin token)", body = ErrorBody),
        (status = 404, description = "`USER_NOT_FOUND`", body = ErrorBody),
    ))]
pub async fn detail(
    State(state): State<AppState>,
    _caller: AdminCaller,
    Path(id): Path<String>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
) -> ApiResult<Data<UserDetail>> {
    let id = path_uuid("id", &id)?;
    let user = users::by_id(&state.pool, id)
        .await?
        .ok_or_else(errors::user_not_found)?;
    let sessions = refresh_tokens::count_active(&state.pool, id).await?;
    Ok(Data(user.detail(sessions)))
}

pub struct CreateBody(AdminCreate);

impl platform::extract::FromJson for CreateBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        let email = profile::read_email(f, "email", true);
        let full_name = f
            .string("fullName")
            .and_then(|v| profile::check_full_name(f, "fullName", v));
        let phone_number = f
            .opt_string("phoneNumber")
            .map(|v| profile::check_phone(f, "phoneNumber", v));
        let role = match f.opt_string("role").as_deref() {
            None | Some("customer") => Some(Role::Customer),
            Some("admin") => Some(Role::Admin),
            Some(_) => {
                f.problem("role", "role harus customer atau admin");
                None
            }
        };
        let status = match f.opt_string("status").as_deref() {
            None | Some("ACTIVE") => Some(UserStatus::Active),
            Some("PENDING_VERIFICATION") => Some(UserStatus::PendingVerification),
            Some(_) => {
                f.problem("status", "status harus ACTIVE atau PENDING_VERIFICATION");
                None
            }
        };
        let (timezone, language) = profile::read_locale(f);
        Some(CreateBody(AdminCreate {
            email: email?,
            full_name: full_name?,
            phone_number: phone_number.map_or(Some(None), |p| p.map(Some))?,
            role: role?,
            status: status?,
            timezone: timezone?,
            language: language?,
        }))
    }
}

/// Creates an account without a password and e-mails it a set-password link (auth.md §6.18).
#[utoipa::path(post, path = "/api/v1/internal/users", tag = "internal", operation_id = "createUser",
    security(("apiKey" = []), ("bearerAuth" = [])),
    request_body = CreateUserRequest,
    responses(
        (status = 201, description = "Created; `Location` names the account", body = DataBody<CreatedUser>,
            headers(("Location" = String, description = "/api/v1/internal/users/{id}"))),
        (status = 400, description = "`VALIDATION_ERROR` (also for `role: super_admin`), `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin or not active admin token; an `admin` account by a caller without a `super_admin` token)", body = ErrorBody),
        (status = 409, description = "`EMAIL_ALREADY_EXISTS`", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    caller: AdminCaller,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    StrictJson(CreateBody(body)): StrictJson<CreateBody>,
) -> ApiResult<Created<CreatedUser>> {
    if body.role == Role::Admin && caller.role != Role::SuperAdmin {
        return Err(errors::admin_role_needs_super_admin());
    }
    let (user, token, sent) = accounts::admin_create(&state, body, &ctx.request_id).await?;
    Ok(Created {
        location: format!("/api/v1/internal/users/{}", user.id),
        body: CreatedUser {
            user: user.summary(),
            set_password_email_sent: sent,
            debug_token: state.config.debug_tokens.then_some(token.raw),
        },
    })
}

pub struct StatusBody {
    status: UserStatus,
    reason: Option<String>,
}

impl platform::extract::FromJson for StatusBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        let status = match f.string("status").as_deref() {
            Some("ACTIVE") => Some(UserStatus::Active),
            Some("SUSPENDED") => Some(UserStatus::Suspended),
            Some("DELETED") => Some(UserStatus::Deleted),
            Some(_) => {
                f.problem("status", "status harus ACTIVE, SUSPENDED atau DELETED");
                None
            }
            None => None,
        };
        let reason = f
            .opt_string("reason")
            .map(|r| profile::check_max_len(f, "reason", r.trim().to_string(), 500));
        Some(StatusBody {
            status: status?,
            reason: reason.map_or(Some(None), |r| r.map(Some))?,
        })
    }
}

/// Activates, suspends or soft-deletes an account; suspending and deleting revoke its refresh
/// tokens (auth.md §6.19, §5.7).
#[utoipa::path(patch, path = "/api/v1/internal/users/{id}/status", tag = "internal", operation_id = "setUserStatus",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "User id")),
    request_body = StatusRequest,
    responses(
        (status = 200, description = "UserProfile plus `statusReason`", body = DataBody<UserWithReason>),
        (status = 400, description = "`VALIDATION_ERROR`, `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin or not active admin token; the caller's own account, a `super_admin`, or an `admin` without a `super_admin` token)", body = ErrorBody),
        (status = 404, description = "`USER_NOT_FOUND`", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
    ))]
pub async fn set_status(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(id): Path<String>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    StrictJson(body): StrictJson<StatusBody>,
) -> ApiResult<Data<UserWithReason>> {
    let id = path_uuid("id", &id)?;
    let user = accounts::change_status(&state, &caller, id, body.status, body.reason).await?;
    Ok(Data(user.with_reason()))
}
