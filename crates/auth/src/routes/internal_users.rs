//! Admin routes over accounts (auth.md §6.16–§6.19): API key or an admin token.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use platform::ApiResult;
use platform::auth::{AdminCaller, Role};
use platform::extract::{FromQuery, JsonFields, QueryFields, StrictJson, StrictQuery, path_uuid};
use platform::http::{Created, Data, RequestContext};
use platform::pagination::{PageQuery, Paginated};
use serde_json::json;

use crate::accounts::{self, AdminCreate};
use crate::domain::errors;
use crate::domain::profile;
use crate::domain::user::{UserDetail, UserProfile, UserStatus, UserWithReason};
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

pub async fn detail(
    State(state): State<AppState>,
    _caller: AdminCaller,
    Path(id): Path<String>,
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

pub async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    caller: AdminCaller,
    StrictJson(CreateBody(body)): StrictJson<CreateBody>,
) -> ApiResult<Response> {
    if body.role == Role::Admin && caller.role != Role::SuperAdmin {
        return Err(errors::admin_role_needs_super_admin());
    }
    let (user, token, sent) = accounts::admin_create(&state, body, &ctx.request_id).await?;
    let mut data = json!(user.summary());
    data["setPasswordEmailSent"] = json!(sent);
    if state.config.debug_tokens {
        data["debugToken"] = json!(token.raw);
    }
    Ok(Created {
        location: format!("/api/v1/internal/users/{}", user.id),
        body: data,
    }
    .into_response())
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

pub async fn set_status(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(id): Path<String>,
    StrictJson(body): StrictJson<StatusBody>,
) -> ApiResult<Data<UserWithReason>> {
    let id = path_uuid("id", &id)?;
    let user = accounts::change_status(&state, &caller, id, body.status, body.reason).await?;
    Ok(Data(user.with_reason()))
}
