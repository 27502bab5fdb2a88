//! Service routes the notification service calls when its bot hears `/start` or `/stop`
//! (auth.md §6.20–§6.21).

use axum::extract::State;
use platform::ApiResult;
use platform::auth::ServiceCaller;
use platform::extract::{JsonFields, StrictJson};
use platform::http::Data;
use serde_json::{Value, json};

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

pub async fn link(
    State(state): State<AppState>,
    _caller: ServiceCaller,
    StrictJson(body): StrictJson<LinkBody>,
) -> ApiResult<Data<Value>> {
    let user =
        accounts::link_with_code(&state, &body.code, &body.chat_id, body.username.as_deref())
            .await?;
    Ok(Data(json!({
        "userId": user.id,
        "email": user.email,
        "fullName": user.full_name,
        "telegramChatId": user.telegram_chat_id,
    })))
}

pub struct UnlinkBody(String);

impl platform::extract::FromJson for UnlinkBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        Some(UnlinkBody(profile::read_chat_id(f, "chatId")?))
    }
}

pub async fn unlink(
    State(state): State<AppState>,
    _caller: ServiceCaller,
    StrictJson(UnlinkBody(chat_id)): StrictJson<UnlinkBody>,
) -> ApiResult<Data<Value>> {
    let unlinked = users::unlink_chat(&state.pool, &chat_id).await?;
    Ok(Data(json!({ "unlinkedUsers": unlinked })))
}
