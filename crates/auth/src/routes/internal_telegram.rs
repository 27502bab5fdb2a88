//! Service routes the notification service calls when its bot hears `/start` or `/stop`
//! (auth.md §6.20–§6.21).

use axum::extract::State;
use platform::ApiResult;
use platform::auth::ServiceCaller;
use platform::extract::{JsonFields, NoQuery, StrictJson, StrictQuery};
use platform::http::Data;
use platform::openapi::{DataBody, ErrorBody};

use super::bodies::{TelegramLinkRequest, TelegramUnlinkRequest};
use super::views::{TelegramLinked, TelegramUnlinked};
use crate::accounts;
use crate::domain::profile;
use crate::state::AppState;
use crate::store::users;

pub struct LinkBody {
    code: String,
    chat_id: String,
    username: Option<String>,
}

impl platform::extract::FromJson for LinkBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        let code = f.string("code").and_then(|c| {
            let c = c.trim().to_string();
            if c.is_empty() || c.len() > 16 {
                f.problem("code", "code harus berupa teks 1–16 karakter");
                None
            } else {
                Some(c)
            }
        });
        let chat_id = profile::read_chat_id(f, "chatId");
        let username = profile::read_telegram_username(f, "telegramUsername");
        Some(LinkBody {
            code: code?,
            chat_id: chat_id?,
            username,
        })
    }
}

/// The bot heard `/start <code>`: spends the link code and links the chat to its owner
/// (auth.md §6.20).
#[utoipa::path(post, path = "/api/v1/internal/telegram/link", tag = "internal", operation_id = "linkTelegramChat",
    security(("apiKey" = [])),
    request_body = TelegramLinkRequest,
    responses(
        (status = 200, description = "Linked", body = DataBody<TelegramLinked>),
        (status = 400, description = "`INVALID_LINK_CODE` (unknown or used), `LINK_CODE_EXPIRED`, `VALIDATION_ERROR`, `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED` (`API_KEY_MISSING`, `API_KEY_INVALID`)", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
    ))]
pub async fn link(
    State(state): State<AppState>,
    _caller: ServiceCaller,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    StrictJson(body): StrictJson<LinkBody>,
) -> ApiResult<Data<TelegramLinked>> {
    let user =
        accounts::link_with_code(&state, &body.code, &body.chat_id, body.username.as_deref())
            .await?;
    Ok(Data(TelegramLinked {
        user_id: user.id,
        email: user.email,
        full_name: user.full_name,
        telegram_chat_id: user.telegram_chat_id,
    }))
}

pub struct UnlinkBody(String);

impl platform::extract::FromJson for UnlinkBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        Some(UnlinkBody(profile::read_chat_id(f, "chatId")?))
    }
}

/// The bot was blocked or heard `/stop`: clears the chat from every account holding it
/// (auth.md §6.21).
#[utoipa::path(post, path = "/api/v1/internal/telegram/unlink", tag = "internal", operation_id = "unlinkTelegramChat",
    security(("apiKey" = [])),
    request_body = TelegramUnlinkRequest,
    responses(
        (status = 200, description = "Unlinked (0 accounts when none held the chat)", body = DataBody<TelegramUnlinked>),
        (status = 400, description = "`VALIDATION_ERROR`, `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED` (`API_KEY_MISSING`, `API_KEY_INVALID`)", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
    ))]
pub async fn unlink(
    State(state): State<AppState>,
    _caller: ServiceCaller,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    StrictJson(UnlinkBody(chat_id)): StrictJson<UnlinkBody>,
) -> ApiResult<Data<TelegramUnlinked>> {
    let unlinked = users::unlink_chat(&state.pool, &chat_id).await?;
    Ok(Data(TelegramUnlinked {
        unlinked_users: unlinked,
    }))
}
