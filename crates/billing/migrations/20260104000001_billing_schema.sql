-- billing-service schema (billing.md §2). Enumerations are text with CHECK constraints so that a
-- new value is a one-line migration, never a blocking ALTER TYPE.

CREATE TABLE invoices (
    id                   uuid PRIMARY KEY,
    order_id             text NOT NULL,
    user_id              text NOT NULL,
    invoice_number       varchar(32) NOT NULL UNIQUE,
    item_name            varchar(255) NOT NULL,
    plan_id              text,
    amount               bigint NOT NULL CHECK (amount > 0),
    currency             char(3) NOT NULL DEFAULT 'IDR',
    status               text NOT NULL DEFAULT 'PENDING'
                         CHECK (status IN ('PENDING', 'PAID', 'EXPIRED', 'CANCELLED')),
    payment_method       text CHECK (payment_method IN ('VIRTUAL_ACCOUNT', 'EWALLET', 'QRIS', 'CONVENIENCE_STORE')),
    payment_channel      text,
    payment_name         varchar(255),
    payment_code         varchar(255),
    payment_url          text,
    pay_url              text,
    qr_string            text,
    qr_url               text,
    payment_fee          bigint,
    payment_instructions jsonb,
    payment_expires_at   timestamptz,
    payment_attempts     integer NOT NULL DEFAULT 0,
    tripay_reference     varchar(100),
    previous_references  text[] NOT NULL DEFAULT '{}',
    expired_at           timestamptz NOT NULL,
    paid_at              timestamptz,
    paid_amount          bigint,
    amount_received      bigint,
    paid_channel         varchar(50),
    callback_payload     jsonb,
    cancel_reason        text,
    last_reconciled_at   timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- At most one live invoice per order; EXPIRED/CANCELLED ones may be followed by a new one.
CREATE UNIQUE INDEX invoices_live_order ON invoices (order_id) WHERE status IN ('PENDING', 'PAID');
CREATE INDEX invoices_order ON invoices (order_id);
CREATE INDEX invoices_user ON invoices (user_id, created_at DESC, id DESC);
CREATE INDEX invoices_status ON invoices (status);
CREATE INDEX invoices_reference ON invoices (tripay_reference);
CREATE INDEX invoices_previous_references ON invoices USING gin (previous_references);
CREATE INDEX invoices_created ON invoices (created_at DESC, id DESC);
CREATE INDEX invoices_paid ON invoices (paid_at DESC, id DESC) WHERE paid_at IS NOT NULL;
CREATE INDEX invoices_due ON invoices (status, expired_at);

CREATE TABLE payments (
    id              uuid PRIMARY KEY,
    invoice_id      uuid NOT NULL REFERENCES invoices (id),
    amount          bigint NOT NULL,
    amount_received bigint,
    fee             bigint,
    channel         varchar(50) NOT NULL,
    reference       varchar(100) NOT NULL,
    gateway_status  varchar(20) NOT NULL,
    status          text NOT NULL
                    CHECK (status IN ('SUCCESS', 'FAILED', 'EXPIRED', 'REFUND', 'DUPLICATE', 'REJECTED')),
    note            text,
    source          text NOT NULL CHECK (source IN ('CALLBACK', 'RECONCILIATION')),
    raw_payload     jsonb NOT NULL,
    paid_at         timestamptz,
    processed_at    timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- The idempotency key of gateway events (§7.2).
    UNIQUE (reference, gateway_status)
);
CREATE INDEX payments_invoice ON payments (invoice_id, created_at DESC);

CREATE TABLE tripay_callbacks (
    id           uuid PRIMARY KEY,
    event        text NOT NULL,
    reference    text,
    merchant_ref text,
    status       text,
    raw_body     text NOT NULL,
    outcome      text CHECK (outcome IN ('PROCESSED', 'DUPLICATE', 'UNMATCHED', 'IGNORED', 'REJECTED')),
    invoice_id   uuid REFERENCES invoices (id),
    source       text NOT NULL DEFAULT 'CALLBACK',
    request_id   text,
    received_at  timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz
);
CREATE INDEX tripay_callbacks_reference ON tripay_callbacks (reference);
CREATE INDEX tripay_callbacks_received ON tripay_callbacks (received_at DESC);
CREATE INDEX tripay_callbacks_invoice ON tripay_callbacks (invoice_id, received_at DESC);
