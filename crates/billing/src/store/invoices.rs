//! `invoices`.

use serde_json::Value;
use sqlx::{AssertSqlSafe, PgConnection, PgPool, Postgres, QueryBuilder};
use time::OffsetDateTime;
use uuid::Uuid;

/// Every column of an invoice.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InvoiceRow {
    pub id: Uuid,
    pub order_id: String,
    pub user_id: String,
    pub invoice_number: String,
    pub item_name: String,
    pub plan_id: Option<String>,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    pub payment_method: Option<String>,
    pub payment_channel: Option<String>,
    pub payment_name: Option<String>,
    pub payment_code: Option<String>,
    pub payment_url: Option<String>,
    pub pay_url: Option<String>,
    pub qr_string: Option<String>,
    pub qr_url: Option<String>,
    pub payment_fee: Option<i64>,
    pub payment_instructions: Option<Value>,
    pub payment_expires_at: Option<OffsetDateTime>,
    pub payment_attempts: i32,
    pub tripay_reference: Option<String>,
    pub previous_references: Vec<String>,
    pub expired_at: OffsetDateTime,
    pub paid_at: Option<OffsetDateTime>,
    pub paid_amount: Option<i64>,
    pub amount_received: Option<i64>,
    pub paid_channel: Option<String>,
    pub callback_payload: Option<Value>,
    pub cancel_reason: Option<String>,
    pub last_reconciled_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

const COLUMNS: &str = "id, order_id, user_id, invoice_number, item_name, plan_id, amount, \
    currency::text AS currency, status, payment_method, payment_channel, payment_name, \
    payment_code, payment_url, pay_url, qr_string, qr_url, payment_fee, payment_instructions, \
    payment_expires_at, payment_attempts, tripay_reference, previous_references, expired_at, \
    paid_at, paid_amount, amount_received, paid_channel, callback_payload, cancel_reason, \
    last_reconciled_at, created_at, updated_at";

/// An invoice as issued (§4.1 step 6).
#[derive(Debug, Clone)]
pub struct NewInvoice<'a> {
    pub id: Uuid,
    pub order_id: &'a str,
    pub user_id: &'a str,
    pub invoice_number: &'a str,
    pub item_name: &'a str,
    pub plan_id: Option<&'a str>,
    pub amount: i64,
    pub expired_at: OffsetDateTime,
    pub now: OffsetDateTime,
}

pub async fn insert(
    conn: &mut PgConnection,
    i: &NewInvoice<'_>,
) -> Result<InvoiceRow, sqlx::Error> {
    sqlx::query_as::<_, InvoiceRow>(AssertSqlSafe(format!(
        "INSERT INTO invoices (id, order_id, user_id, invoice_number, item_name, plan_id, amount,
             expired_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
         RETURNING {COLUMNS}"
    )))
    .bind(i.id)
    .bind(i.order_id)
    .bind(i.user_id)
    .bind(i.invoice_number)
    .bind(i.item_name)
    .bind(i.plan_id)
    .bind(i.amount)
    .bind(i.expired_at)
    .bind(i.now)
    .fetch_one(conn)
    .await
}

pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Option<InvoiceRow>, sqlx::Error> {
    sqlx::query_as::<_, InvoiceRow>(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM invoices WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The row, locked until the transaction ends: every change of one invoice is serialized.
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> Result<Option<InvoiceRow>, sqlx::Error> {
    sqlx::query_as::<_, InvoiceRow>(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM invoices WHERE id = $1 FOR UPDATE"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Every invoice of an order, locked in id order (so two callbacks never deadlock).
pub async fn lock_order(
    conn: &mut PgConnection,
    order_id: &str,
) -> Result<Vec<InvoiceRow>, sqlx::Error> {
    sqlx::query_as::<_, InvoiceRow>(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM invoices WHERE order_id = $1 ORDER BY id FOR UPDATE"
    )))
    .bind(order_id)
    .fetch_all(conn)
    .await
}

/// The order's PENDING or PAID invoice (at most one, by the partial unique index).
pub async fn live_for_order(
    conn: &mut PgConnection,
    order_id: &str,
) -> Result<Option<InvoiceRow>, sqlx::Error> {
    sqlx::query_as::<_, InvoiceRow>(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM invoices WHERE order_id = $1 AND status IN ('PENDING', 'PAID')"
    )))
    .bind(order_id)
    .fetch_optional(conn)
    .await
}

pub async fn by_number(
    conn: &mut PgConnection,
    number: &str,
) -> Result<Option<InvoiceRow>, sqlx::Error> {
    sqlx::query_as::<_, InvoiceRow>(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM invoices WHERE invoice_number = $1"
    )))
    .bind(number)
    .fetch_optional(conn)
    .await
}

/// The invoice a Tripay reference belongs to: active, superseded, or seen in a payment (§7.3).
pub async fn by_reference(
    conn: &mut PgConnection,
    reference: &str,
) -> Result<Option<InvoiceRow>, sqlx::Error> {
    let found = sqlx::query_as::<_, InvoiceRow>(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM invoices
         WHERE tripay_reference = $1 OR previous_references @> ARRAY[$1]::text[]
         ORDER BY created_at DESC LIMIT 1"
    )))
    .bind(reference)
    .fetch_optional(&mut *conn)
    .await?;
    if found.is_some() {
        return Ok(found);
    }
    sqlx::query_as::<_, InvoiceRow>(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM invoices
         WHERE id = (SELECT invoice_id FROM payments WHERE reference = $1 LIMIT 1)"
    )))
    .bind(reference)
    .fetch_optional(conn)
    .await
}

/// A customer's invoices, newest first.
pub async fn list_for_user(
    pool: &PgPool,
    user_id: &str,
    status: Option<&str>,
    order_id: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<InvoiceRow>, i64), sqlx::Error> {
    let filter = "user_id = $1 AND ($2::text IS NULL OR status = $2)
                  AND ($3::text IS NULL OR order_id = $3)";
    let rows = sqlx::query_as::<_, InvoiceRow>(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM invoices WHERE {filter}
         ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5"
    )))
    .bind(user_id)
    .bind(status)
    .bind(order_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    let total: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT count(*) FROM invoices WHERE {filter}"
    )))
    .bind(user_id)
    .bind(status)
    .bind(order_id)
    .fetch_one(pool)
    .await?;
    Ok((rows, total))
}

/// The admin transaction list's filters (§5.3).
#[derive(Debug, Clone, Default)]
pub struct AdminFilter {
    pub statuses: Vec<String>,
    /// PaymentChannel value and Tripay code of the same channel.
    pub channel: Option<(String, Option<String>)>,
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
    /// Sort and filter by `paid_at` instead of `created_at`.
    pub by_paid_at: bool,
    pub user_id: Option<String>,
    pub order_id: Option<String>,
    pub search: Option<String>,
}

/// One row of the admin transaction list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AdminListRow {
    #[sqlx(flatten)]
    pub invoice: InvoiceRow,
    pub order_sync_status: Option<String>,
    pub last_payment_status: Option<String>,
}

fn push_filter(q: &mut QueryBuilder<Postgres>, f: &AdminFilter) {
    let date = if f.by_paid_at {
        "paid_at"
    } else {
        "created_at"
    };
    q.push(" WHERE TRUE");
    if !f.statuses.is_empty() {
        q.push(" AND status = ANY(")
            .push_bind(f.statuses.clone())
            .push(")");
    }
    if let Some((name, code)) = &f.channel {
        let code = code.clone().unwrap_or_else(|| name.clone());
        q.push(" AND (payment_channel = ")
            .push_bind(name.clone())
            .push(" OR paid_channel = ")
            .push_bind(code)
            .push(")");
    }
    if let Some(from) = f.from {
        q.push(format_args!(" AND {date} >= ")).push_bind(from);
    }
    if let Some(to) = f.to {
        q.push(format_args!(" AND {date} < ")).push_bind(to);
    }
    if f.by_paid_at {
        q.push(" AND paid_at IS NOT NULL");
    }
    if let Some(user_id) = &f.user_id {
        q.push(" AND user_id = ").push_bind(user_id.clone());
    }
    if let Some(order_id) = &f.order_id {
        q.push(" AND order_id = ").push_bind(order_id.clone());
    }
    if let Some(search) = &f.search {
        q.push(" AND (invoice_number = ")
            .push_bind(search.clone())
            .push(" OR tripay_reference = ")
            .push_bind(search.clone())
            .push(" OR previous_references @> ARRAY[")
            .push_bind(search.clone())
            .push("]::text[])");
    }
}

pub async fn admin_list(
    pool: &PgPool,
    f: &AdminFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<AdminListRow>, i64), sqlx::Error> {
    let date = if f.by_paid_at {
        "paid_at"
    } else {
        "created_at"
    };
    let mut q = QueryBuilder::<Postgres>::new(format!(
        "SELECT {COLUMNS},
             (SELECT j.state FROM jobs j
               WHERE j.queue = 'order-payment-status' AND j.subject_id = invoices.id::text
               ORDER BY j.created_at DESC, j.id DESC LIMIT 1) AS order_sync_status,
             (SELECT p.status FROM payments p WHERE p.invoice_id = invoices.id
               ORDER BY p.created_at DESC, p.id DESC LIMIT 1) AS last_payment_status
         FROM invoices"
    ));
    push_filter(&mut q, f);
    q.push(format_args!(" ORDER BY {date} DESC, id DESC LIMIT "))
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset);
    let rows = q.build_query_as::<AdminListRow>().fetch_all(pool).await?;
    let mut count = QueryBuilder::<Postgres>::new("SELECT count(*) FROM invoices");
    push_filter(&mut count, f);
    let total: i64 = count.build_query_scalar().fetch_one(pool).await?;
    Ok((rows, total))
}

/// The active Tripay transaction as stored after `transaction/create` (§4.4 step 9).
#[derive(Debug, Clone)]
pub struct ActiveTransaction<'a> {
    pub channel: &'a str,
    pub method: &'a str,
    pub name: &'a str,
    pub code: Option<&'a str>,
    pub checkout_url: Option<&'a str>,
    pub pay_url: Option<&'a str>,
    pub qr_string: Option<&'a str>,
    pub qr_url: Option<&'a str>,
    pub fee: i64,
    pub instructions: Value,
    pub expires_at: OffsetDateTime,
    pub reference: &'a str,
    /// The reference this one supersedes, kept because it can still be paid.
    pub superseded: Option<&'a str>,
}

pub async fn set_active_transaction(
    conn: &mut PgConnection,
    id: Uuid,
    t: &ActiveTransaction<'_>,
    now: OffsetDateTime,
) -> Result<InvoiceRow, sqlx::Error> {
    sqlx::query_as::<_, InvoiceRow>(AssertSqlSafe(format!(
        "UPDATE invoices SET payment_channel = $2, payment_method = $3, payment_name = $4,
             payment_code = $5, payment_url = $6, pay_url = $7, qr_string = $8, qr_url = $9,
             payment_fee = $10, payment_instructions = $11, payment_expires_at = $12,
             tripay_reference = $13,
             previous_references = CASE
                 WHEN $14::text IS NULL OR previous_references @> ARRAY[$14]::text[]
                 THEN previous_references ELSE array_append(previous_references, $14) END,
             updated_at = $15
         WHERE id = $1 RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(t.channel)
    .bind(t.method)
    .bind(t.name)
    .bind(t.code)
    .bind(t.checkout_url)
    .bind(t.pay_url)
    .bind(t.qr_string)
    .bind(t.qr_url)
    .bind(t.fee)
    .bind(&t.instructions)
    .bind(t.expires_at)
    .bind(t.reference)
    .bind(t.superseded)
    .bind(now)
    .fetch_one(conn)
    .await
}

/// Counts a Tripay transaction about to be created; the count numbers its `merchant_ref`.
pub async fn count_attempt(
    conn: &mut PgConnection,
    id: Uuid,
    now: OffsetDateTime,
) -> Result<i32, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE invoices SET payment_attempts = payment_attempts + 1, updated_at = $2
         WHERE id = $1 RETURNING payment_attempts",
    )
    .bind(id)
    .bind(now)
    .fetch_one(conn)
    .await
}

/// Forgets the active transaction after Tripay expired or failed it (§7.4).
pub async fn clear_active(
    conn: &mut PgConnection,
    id: Uuid,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE invoices SET payment_method = NULL, payment_channel = NULL, payment_name = NULL,
             payment_code = NULL, payment_url = NULL, pay_url = NULL, qr_string = NULL,
             qr_url = NULL, payment_fee = NULL, payment_instructions = NULL,
             payment_expires_at = NULL, tripay_reference = NULL, updated_at = $2
         WHERE id = $1",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// What a PAID event writes on the invoice (§7.4).
#[derive(Debug, Clone)]
pub struct Settlement<'a> {
    pub paid_at: OffsetDateTime,
    pub paid_amount: i64,
    pub amount_received: Option<i64>,
    pub paid_channel: Option<&'a str>,
    pub reference: &'a str,
    /// From the code mapping; `None` keeps the stored channel and method.
    pub channel: Option<(&'a str, &'a str)>,
    pub payload: &'a Value,
}

pub async fn mark_paid(
    conn: &mut PgConnection,
    id: Uuid,
    s: &Settlement<'_>,
    now: OffsetDateTime,
) -> Result<InvoiceRow, sqlx::Error> {
    sqlx::query_as::<_, InvoiceRow>(AssertSqlSafe(format!(
        "UPDATE invoices SET status = 'PAID', paid_at = $2, paid_amount = $3, amount_received = $4,
             paid_channel = $5, tripay_reference = $6,
             payment_channel = COALESCE($7, payment_channel),
             payment_method = COALESCE($8, payment_method),
             callback_payload = $9, updated_at = $10
         WHERE id = $1 RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(s.paid_at)
    .bind(s.paid_amount)
    .bind(s.amount_received)
    .bind(s.paid_channel)
    .bind(s.reference)
    .bind(s.channel.map(|c| c.0))
    .bind(s.channel.map(|c| c.1))
    .bind(s.payload)
    .bind(now)
    .fetch_one(conn)
    .await
}

/// PENDING → EXPIRED; `false` when the invoice was not PENDING (another replica won).
pub async fn expire(
    conn: &mut PgConnection,
    id: Uuid,
    payload: Option<&Value>,
    now: OffsetDateTime,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE invoices SET status = 'EXPIRED',
             callback_payload = COALESCE($2, callback_payload), updated_at = $3
         WHERE id = $1 AND status = 'PENDING'",
    )
    .bind(id)
    .bind(payload)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// PENDING or EXPIRED → CANCELLED.
pub async fn cancel(
    conn: &mut PgConnection,
    id: Uuid,
    reason: Option<&str>,
    now: OffsetDateTime,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE invoices SET status = 'CANCELLED', cancel_reason = $2, updated_at = $3
         WHERE id = $1 AND status IN ('PENDING', 'EXPIRED')",
    )
    .bind(id)
    .bind(reason)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// PENDING invoices past their deadline, oldest first, locked and skipped by other replicas.
pub async fn due_for_expiry(
    conn: &mut PgConnection,
    now: OffsetDateTime,
    limit: i64,
) -> Result<Vec<InvoiceRow>, sqlx::Error> {
    sqlx::query_as::<_, InvoiceRow>(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM invoices WHERE status = 'PENDING' AND expired_at <= $1
         ORDER BY expired_at, id LIMIT $2 FOR UPDATE SKIP LOCKED"
    )))
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Invoices whose callbacks may have been missed (§9.3), least recently reconciled first.
pub async fn due_for_reconciliation(
    pool: &PgPool,
    now: OffsetDateTime,
    limit: i64,
) -> Result<Vec<InvoiceRow>, sqlx::Error> {
    sqlx::query_as::<_, InvoiceRow>(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM invoices
         WHERE (status = 'PENDING' OR (status = 'EXPIRED' AND updated_at > $1 - interval '48 hours'))
           AND (tripay_reference IS NOT NULL OR cardinality(previous_references) > 0)
           AND (payment_expires_at <= $1 OR updated_at < $1 - interval '15 minutes')
         ORDER BY last_reconciled_at NULLS FIRST, id LIMIT $2"
    )))
    .bind(now)
    .bind(limit)
    .fetch_all(pool)
    .await
}

pub async fn mark_reconciled(
    pool: &PgPool,
    id: Uuid,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE invoices SET last_reconciled_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(pool)
        .await?;
    Ok(())
}
