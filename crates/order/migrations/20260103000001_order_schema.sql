-- order-service schema (spec/order.md §1.2). The `jobs` table comes from the platform migration
-- linked as 20260101000000_jobs.sql.

CREATE TYPE order_status        AS ENUM ('PENDING_PAYMENT','PAID','PROVISIONING','ACTIVE','FAILED','CANCELED');
CREATE TYPE plan_duration       AS ENUM ('MONTHLY','QUARTERLY','SEMI_ANNUAL','ANNUAL');
CREATE TYPE item_type           AS ENUM ('PLAN','IMAGE','ADDON');
CREATE TYPE provisioning_status AS ENUM ('PENDING','IN_PROGRESS','SUCCESS','FAILED');

CREATE TABLE orders (
  id                  uuid PRIMARY KEY,
  user_id             varchar(128) NOT NULL,
  plan_id uuid NOT NULL,   plan_name  varchar(255) NOT NULL,
  image_id uuid NOT NULL,  image_name varchar(255) NOT NULL,
  duration            plan_duration NOT NULL,
  provider_size_slug  varchar(100) NOT NULL,
  provider_image_slug varchar(100) NOT NULL,
  base_price      bigint NOT NULL CHECK (base_price >= 0),
  promo_discount  bigint NOT NULL DEFAULT 0 CHECK (promo_discount >= 0),
  coupon_code     varchar(32),
  coupon_discount bigint NOT NULL DEFAULT 0 CHECK (coupon_discount >= 0),
  final_price     bigint NOT NULL CHECK (final_price >= 0),
  currency        char(3) NOT NULL DEFAULT 'IDR' CHECK (currency = 'IDR'),
  status          order_status NOT NULL DEFAULT 'PENDING_PAYMENT',
  payment_reference varchar(100),
  paid_at timestamptz, canceled_at timestamptz,
  payment_deadline timestamptz NOT NULL,
  activated_at timestamptz,
  expires_at   timestamptz,
  created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL,
  CHECK (final_price = base_price - promo_discount - coupon_discount),
  CHECK ((status IN ('PENDING_PAYMENT','CANCELED')) = (paid_at IS NULL)),
  CHECK (status <> 'ACTIVE' OR (activated_at IS NOT NULL AND expires_at IS NOT NULL)),
  CHECK (status <> 'CANCELED' OR canceled_at IS NOT NULL)
);
CREATE INDEX orders_user_created_idx   ON orders (user_id, created_at DESC);
CREATE INDEX orders_status_created_idx ON orders (status, created_at DESC);
CREATE INDEX orders_status_expires_idx ON orders (status, expires_at);
CREATE UNIQUE INDEX orders_payment_reference_key ON orders (payment_reference) WHERE payment_reference IS NOT NULL;

CREATE TABLE order_items (
  id           uuid PRIMARY KEY,
  order_id     uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  item_type    item_type NOT NULL,
  reference_id uuid NOT NULL,
  description  varchar(500) NOT NULL,
  unit_price   bigint NOT NULL CHECK (unit_price >= 0),
  quantity     integer NOT NULL DEFAULT 1 CHECK (quantity > 0),
  total_price  bigint NOT NULL,
  created_at   timestamptz NOT NULL,
  CHECK (total_price = unit_price * quantity)
);
CREATE INDEX order_items_order_idx ON order_items (order_id);

CREATE TABLE provisioning_tasks (
  id          uuid PRIMARY KEY,
  order_id    uuid NOT NULL UNIQUE REFERENCES orders(id) ON DELETE CASCADE,
  status      provisioning_status NOT NULL DEFAULT 'PENDING',
  do_region varchar(50) NOT NULL, do_size varchar(100) NOT NULL, do_image varchar(100) NOT NULL,
  droplet_id     varchar(50),
  droplet_name   varchar(255),
  droplet_status varchar(50),
  ipv4_public varchar(45), ipv4_private varchar(45),
  droplet_tags   text[] NOT NULL DEFAULT '{}',
  droplet_created_at    timestamptz,
  root_password_enc     text,
  create_requested_at   timestamptz,
  abandoned_droplet_ids text[] NOT NULL DEFAULT '{}',
  attempts      integer NOT NULL DEFAULT 0,
  retry_count   integer NOT NULL DEFAULT 0,
  next_poll_at  timestamptz,
  lease_owner varchar(100), lease_expires_at timestamptz,
  error_code    varchar(100),
  error_message text,
  error_detail  text,
  started_at    timestamptz,
  completed_at  timestamptz,
  created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL
);
CREATE INDEX provisioning_tasks_due_idx     ON provisioning_tasks (status, next_poll_at);
CREATE INDEX provisioning_tasks_droplet_idx ON provisioning_tasks (droplet_id);

CREATE TABLE status_history (
  seq             bigint GENERATED ALWAYS AS IDENTITY,
  id              uuid PRIMARY KEY,
  order_id        uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  previous_status varchar(50),
  new_status      varchar(50) NOT NULL,
  actor           varchar(255) NOT NULL,
  reason          text,
  metadata        jsonb,
  request_id      varchar(128),
  idempotency_key varchar(200),
  created_at      timestamptz NOT NULL
);
CREATE INDEX status_history_order_idx ON status_history (order_id, seq);
CREATE UNIQUE INDEX status_history_idempotency_key ON status_history (order_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
