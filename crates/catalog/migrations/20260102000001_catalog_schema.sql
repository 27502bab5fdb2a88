-- catalog-service schema (spec/catalog.md §3). Money is bigint Rupiah; times are timestamptz UTC.
CREATE TYPE plan_duration  AS ENUM ('MONTHLY', 'QUARTERLY', 'SEMI_ANNUAL', 'ANNUAL');
CREATE TYPE discount_type  AS ENUM ('PERCENT', 'FIXED');
CREATE TYPE image_category AS ENUM ('OS', 'APP');

CREATE TABLE vps_plans (
  id                 UUID PRIMARY KEY,
  name               VARCHAR(64)  NOT NULL,
  display_name       VARCHAR(255) NOT NULL,
  description        TEXT,
  cpu                INT NOT NULL CHECK (cpu BETWEEN 1 AND 64),
  memory_mb          INT NOT NULL CHECK (memory_mb >= 256),
  disk_gb            INT NOT NULL CHECK (disk_gb >= 10),
  bandwidth_tb       NUMERIC(8,2) NOT NULL DEFAULT 0 CHECK (bandwidth_tb >= 0),
  provider           VARCHAR(50)  NOT NULL DEFAULT 'digitalocean',
  provider_size_slug VARCHAR(100) NOT NULL,
  is_active          BOOLEAN NOT NULL DEFAULT TRUE,
  sort_order         INT NOT NULL DEFAULT 0,
  tags               TEXT[] NOT NULL DEFAULT '{}',
  created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
  deleted_at         TIMESTAMPTZ
);
CREATE UNIQUE INDEX vps_plans_name_uq ON vps_plans (name) WHERE deleted_at IS NULL;
CREATE INDEX vps_plans_listing_idx ON vps_plans (sort_order, created_at) WHERE deleted_at IS NULL;

CREATE TABLE plan_pricings (
  id         UUID PRIMARY KEY,
  plan_id    UUID NOT NULL REFERENCES vps_plans(id) ON DELETE CASCADE,
  duration   plan_duration NOT NULL,
  price      BIGINT NOT NULL CHECK (price > 0),
  cost       BIGINT NOT NULL DEFAULT 0 CHECK (cost >= 0),
  is_active  BOOLEAN NOT NULL DEFAULT TRUE,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT plan_pricings_plan_duration_uq UNIQUE (plan_id, duration)
);

CREATE TABLE plan_promos (
  id                  UUID PRIMARY KEY,
  plan_id             UUID NOT NULL REFERENCES vps_plans(id) ON DELETE CASCADE,
  name                VARCHAR(255) NOT NULL,
  discount_type       discount_type NOT NULL,
  discount_value      INT NOT NULL CHECK (discount_value > 0),
  max_discount_amount BIGINT CHECK (max_discount_amount > 0),
  durations           plan_duration[] NOT NULL DEFAULT '{}',
  start_at            TIMESTAMPTZ NOT NULL,
  end_at              TIMESTAMPTZ NOT NULL,
  is_active           BOOLEAN NOT NULL DEFAULT TRUE,
  created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
  CHECK (end_at > start_at),
  CHECK (discount_type <> 'PERCENT' OR discount_value <= 100)
);
CREATE INDEX plan_promos_window_idx ON plan_promos (plan_id, start_at, end_at);

CREATE TABLE vps_images (
  id            UUID PRIMARY KEY,
  provider      VARCHAR(50)  NOT NULL DEFAULT 'digitalocean',
  provider_slug VARCHAR(100) NOT NULL,
  display_name  VARCHAR(255) NOT NULL,
  description   TEXT,
  category      image_category NOT NULL DEFAULT 'OS',
  distribution  VARCHAR(50),
  version       VARCHAR(50),
  is_active     BOOLEAN NOT NULL DEFAULT TRUE,
  sort_order    INT NOT NULL DEFAULT 0,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  deleted_at    TIMESTAMPTZ
);
CREATE UNIQUE INDEX vps_images_slug_uq ON vps_images (provider, provider_slug) WHERE deleted_at IS NULL;

-- Allow-list: a plan with no rows allows every image.
CREATE TABLE vps_plan_images (
  plan_id    UUID NOT NULL REFERENCES vps_plans(id)  ON DELETE CASCADE,
  image_id   UUID NOT NULL REFERENCES vps_images(id) ON DELETE CASCADE,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (plan_id, image_id)
);
CREATE INDEX vps_plan_images_image_idx ON vps_plan_images (image_id);

CREATE TABLE coupons (
  id                       UUID PRIMARY KEY,
  code                     VARCHAR(32) NOT NULL UNIQUE CHECK (code = upper(code)),
  name                     VARCHAR(255) NOT NULL,
  description              TEXT,
  discount_type            discount_type NOT NULL,
  discount_value           INT NOT NULL CHECK (discount_value > 0),
  min_order_amount         BIGINT CHECK (min_order_amount >= 0),
  max_discount_amount      BIGINT CHECK (max_discount_amount > 0),
  max_total_redemptions    INT CHECK (max_total_redemptions >= 1),
  max_redemptions_per_user INT DEFAULT 1 CHECK (max_redemptions_per_user >= 1),
  start_at                 TIMESTAMPTZ NOT NULL,
  end_at                   TIMESTAMPTZ,
  is_active                BOOLEAN NOT NULL DEFAULT TRUE,
  created_at               TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at               TIMESTAMPTZ NOT NULL DEFAULT now(),
  CHECK (end_at IS NULL OR end_at > start_at),
  CHECK (discount_type <> 'PERCENT' OR discount_value <= 100)
);
CREATE INDEX coupons_created_idx ON coupons (created_at DESC, id DESC);

-- Non-empty = coupon limited to these plans.
CREATE TABLE coupon_plans (
  coupon_id  UUID NOT NULL REFERENCES coupons(id)   ON DELETE CASCADE,
  plan_id    UUID NOT NULL REFERENCES vps_plans(id) ON DELETE CASCADE,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (coupon_id, plan_id)
);

-- Non-empty = coupon limited to these users (auth-service ids, no cross-service foreign key).
CREATE TABLE coupon_users (
  coupon_id  UUID NOT NULL REFERENCES coupons(id) ON DELETE CASCADE,
  user_id    UUID NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (coupon_id, user_id)
);

CREATE TABLE coupon_redemptions (
  id              UUID PRIMARY KEY,
  coupon_id       UUID NOT NULL REFERENCES coupons(id) ON DELETE RESTRICT,
  user_id         UUID NOT NULL,
  order_id        UUID NOT NULL UNIQUE,
  plan_id         UUID,
  duration        plan_duration,
  amount          BIGINT NOT NULL,
  discount_amount BIGINT NOT NULL,
  final_price     BIGINT NOT NULL,
  redeemed_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  released_at     TIMESTAMPTZ,
  release_reason  VARCHAR(32)
);
CREATE INDEX coupon_redemptions_active_idx ON coupon_redemptions (coupon_id, user_id) WHERE released_at IS NULL;
CREATE INDEX coupon_redemptions_listing_idx ON coupon_redemptions (coupon_id, redeemed_at DESC, id DESC);

-- One row per demo-catalog entry the seed has ever applied, so that restarting with
-- SEED_ON_START=true never brings back a row an operator deleted or undoes an edit.
CREATE TABLE catalog_seed_history (
  key        VARCHAR(100) PRIMARY KEY,
  applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
