//! Tripay's API as the simulator answers it (integrations.md §1.2–§1.4, validation of §1.7).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use tripay::{CreateTransaction, Instruction, Transaction};

use super::state::{Fault, Sim};

/// Tripay's envelope for a failure.
pub fn failure(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"success": false, "message": message})),
    )
        .into_response()
}

fn success(data: Value) -> Response {
    axum::Json(json!({"success": true, "message": "Success", "data": data})).into_response()
}

/// Bearer key first, then any injected fault; `Some` is the answer to give instead.
async fn guard(sim: &Sim, headers: &HeaderMap) -> Option<Response> {
    let (authorized, fault, hold) = {
        let mut state = sim.lock();
        let expected = format!("Bearer {}", state.config.api_key.expose());
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let authorized = platform::crypto::secrets_equal(presented.as_bytes(), expected.as_bytes());
        let fault = if authorized {
            state.take_fault()
        } else {
            Fault::None
        };
        (authorized, fault, state.config.timeout_hold)
    };
    if !authorized {
        return Some(failure(StatusCode::UNAUTHORIZED, "Invalid API Key"));
    }
    match fault {
        Fault::None => None,
        Fault::ServerError => Some(failure(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
        )),
        Fault::Timeout => {
            tokio::time::sleep(hold).await;
            Some(failure(StatusCode::GATEWAY_TIMEOUT, "Gateway Timeout"))
        }
    }
}

pub async fn channels(State(sim): State<Arc<Sim>>, headers: HeaderMap) -> Response {
    if let Some(answer) = guard(&sim, &headers).await {
        return answer;
    }
    let list: Vec<Value> = sim
        .lock()
        .config
        .channels
        .iter()
        .map(|c| serde_json::to_value(&c.listing).unwrap_or(Value::Null))
        .collect();
    success(Value::Array(list))
}

pub async fn detail(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    if let Some(answer) = guard(&sim, &headers).await {
        return answer;
    }
    let Some(reference) = query.iter().find(|(k, _)| k == "reference").map(|(_, v)| v) else {
        return failure(StatusCode::BAD_REQUEST, "reference is required");
    };
    let state = sim.lock();
    match state
        .transactions
        .iter()
        .find(|t| &t.reference == reference)
    {
        Some(tx) => success(serde_json::to_value(tx).unwrap_or(Value::Null)),
        None => failure(StatusCode::NOT_FOUND, "Transaction not found"),
    }
}

/// `order_items[0][name]=…` pairs into the JSON shape of a create request.
fn form_to_json(body: &[u8]) -> Option<Value> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    let mut map = Map::new();
    let mut items: Vec<Map<String, Value>> = Vec::new();
    for (key, value) in pairs {
        if let Some(rest) = key.strip_prefix("order_items[") {
            let (index, field) = rest.split_once("][")?;
            let index: usize = index.parse().ok()?;
            let field = field.strip_suffix(']')?;
            if index > 100 {
                return None;
            }
            while items.len() <= index {
                items.push(Map::new());
            }
            let typed = match field {
                "price" | "quantity" => value
                    .parse::<i64>()
                    .map(Value::from)
                    .unwrap_or(Value::String(value)),
                _ => Value::String(value),
            };
            items[index].insert(field.to_owned(), typed);
        } else {
            let typed = match key.as_str() {
                "amount" | "expired_time" => value
                    .parse::<i64>()
                    .map(Value::from)
                    .unwrap_or(Value::String(value)),
                _ => Value::String(value),
            };
            map.insert(key, typed);
        }
    }
    map.insert(
        "order_items".to_owned(),
        Value::Array(items.into_iter().map(Value::Object).collect()),
    );
    Some(Value::Object(map))
}

const REQUIRED: [&str; 7] = [
    "method",
    "merchant_ref",
    "amount",
    "customer_name",
    "customer_email",
    "order_items",
    "signature",
];

pub async fn create(State(sim): State<Arc<Sim>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(answer) = guard(&sim, &headers).await {
        return answer;
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let value = if is_form {
        form_to_json(&body)
    } else {
        serde_json::from_slice(&body).ok()
    };
    let Some(Value::Object(fields)) = value else {
        return failure(StatusCode::BAD_REQUEST, "Invalid request body");
    };
    for name in REQUIRED {
        if fields.get(name).is_none_or(Value::is_null) {
            return failure(
                StatusCode::BAD_REQUEST,
                &format!("The {name} field is required"),
            );
        }
    }
    let req: CreateTransaction = match serde_json::from_value(Value::Object(fields)) {
        Ok(req) => req,
        Err(e) => return failure(StatusCode::BAD_REQUEST, &format!("Invalid field: {e}")),
    };
    let mut state = sim.lock();
    let expected = tripay::transaction_signature(
        state.config.private_key.expose(),
        &state.config.merchant_code,
        &req.merchant_ref,
        req.amount,
    );
    if !platform::crypto::secrets_equal(req.signature.trim().as_bytes(), expected.as_bytes()) {
        return failure(StatusCode::BAD_REQUEST, "Invalid signature");
    }
    let Some(channel) = state
        .channel(&req.method)
        .filter(|c| c.listing.active)
        .cloned()
    else {
        return failure(StatusCode::BAD_REQUEST, "Payment channel is not enabled");
    };
    let (min, max) = (
        channel.listing.minimum_amount.unwrap_or(0),
        channel.listing.maximum_amount.unwrap_or(i64::MAX),
    );
    if !(min..=max).contains(&req.amount) {
        return failure(
            StatusCode::BAD_REQUEST,
            &format!("Amount must be between {min} and {max}"),
        );
    }
    let items_total = req.order_items.iter().try_fold(0i64, |sum, i| {
        sum.checked_add(i.price.checked_mul(i.quantity)?)
    });
    if items_total != Some(req.amount) {
        return failure(
            StatusCode::BAD_REQUEST,
            "The amount does not match the total of order_items",
        );
    }
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let expires = req.expired_time.unwrap_or(now + 24 * 3600);
    let earliest = now + channel.min_expiry_minutes * 60;
    let latest = now + channel.max_expiry_minutes * 60;
    // A minute of slack for the clocks of two machines.
    if expires < earliest - 60 || expires > latest + 60 {
        return failure(
            StatusCode::BAD_REQUEST,
            &format!(
                "expired_time must be between {} and {} minutes from now",
                channel.min_expiry_minutes, channel.max_expiry_minutes
            ),
        );
    }
    state.sequence += 1;
    let reference = format!("{}{:015}", state.config.merchant_code, state.sequence);
    let listing = &channel.listing;
    let redirect = listing.kind == "redirect";
    let qris = listing.code.starts_with("QRIS");
    let pay_code = if redirect || qris {
        None
    } else {
        let n = 16 + state.rng.below(3) as usize;
        Some(state.digits(n))
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    let base = state
        .config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{host}"));
    let fee_customer = tripay::customer_fee(listing, req.amount);
    let total_fee = tripay::total_fee(listing, req.amount).max(fee_customer);
    let amount = req.amount + fee_customer;
    let qr_string = qris.then(|| {
        format!(
            "00020101021226610016ID.CO.SIMULATOR0118{}5204481253033605405{}5802ID5907WEBRANA6007JAKARTA6304",
            reference, amount
        )
    });
    let instructions = match &pay_code {
        Some(code) => vec![
            Instruction {
                title: "ATM".into(),
                steps: vec![
                    "Masukkan kartu ATM dan PIN".into(),
                    format!(
                        "Pilih pembayaran {} dan masukkan <b>{code}</b>",
                        listing.name
                    ),
                ],
            },
            Instruction {
                title: "Internet Banking".into(),
                steps: vec![format!(
                    "Bayar ke nomor <b>{code}</b> sebesar <b>{amount}</b>"
                )],
            },
        ],
        None => vec![Instruction {
            title: listing.name.clone(),
            steps: vec![format!(
                "Buka halaman pembayaran dan selesaikan pembayaran sebesar <b>{amount}</b>"
            )],
        }],
    };
    let order_items: Vec<Value> = req
        .order_items
        .iter()
        .map(|i| {
            json!({"sku": i.sku, "name": i.name, "price": i.price, "quantity": i.quantity,
                   "subtotal": i.price * i.quantity, "product_url": i.product_url,
                   "image_url": i.image_url})
        })
        .collect();
    let tx = Transaction {
        reference: reference.clone(),
        merchant_ref: Some(req.merchant_ref.clone()),
        payment_selection_type: Some("static".into()),
        payment_method: listing.code.clone(),
        payment_name: listing.name.clone(),
        customer_name: Some(req.customer_name.clone()),
        customer_email: Some(req.customer_email.clone()),
        customer_phone: req.customer_phone.clone(),
        callback_url: req
            .callback_url
            .clone()
            .or(state.config.callback_url.clone()),
        return_url: req.return_url.clone(),
        amount,
        fee_merchant: total_fee - fee_customer,
        fee_customer,
        total_fee,
        amount_received: amount - total_fee,
        pay_code,
        pay_url: redirect.then(|| format!("{base}/checkout/{reference}?app=1")),
        checkout_url: Some(format!("{base}/checkout/{reference}")),
        status: "UNPAID".into(),
        expired_time: expires,
        paid_at: None,
        order_items,
        instructions,
        qr_url: qr_string
            .as_ref()
            .map(|_| format!("{base}/checkout/{reference}/qr")),
        qr_string,
    };
    let data = serde_json::to_value(&tx).unwrap_or(Value::Null);
    state.transactions.push(tx);
    success(data)
}

pub async fn not_found() -> Response {
    failure(StatusCode::NOT_FOUND, "Not Found")
}

pub async fn method_not_allowed() -> Response {
    failure(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
}
