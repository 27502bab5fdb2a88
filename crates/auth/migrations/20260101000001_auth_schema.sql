-- auth-service schema (spec/auth.md §4).
CREATE TYPE user_role AS ENUM ('customer', 'admin', 'super_admin');
CREATE TYPE user_status AS ENUM ('PENDING_VERIFICATION', 'ACTIVE', 'SUSPENDED', 'DELETED');
CREATE TYPE verification_token_type AS ENUM ('EMAIL_VERIFICATION', 'PASSWORD_RESET');

CREATE TABLE users (
  id                      UUID PRIMARY KEY,
  email                   VARCHAR(255) NOT NULL,
  password_hash           VARCHAR(255) NOT NULL,
  full_name               VARCHAR(255) NOT NULL,
  phone_number            VARCHAR(20),
  role                    user_role   NOT NULL DEFAULT 'customer',
  status                  user_status NOT NULL DEFAULT 'PENDING_VERIFICATION',
  timezone                VARCHAR(64) NOT NULL DEFAULT 'Asia/Jakarta',
  language                VARCHAR(8)  NOT NULL DEFAULT 'id',
  email_verified_at       TIMESTAMPTZ,
  telegram_chat_id        VARCHAR(32),
  telegram_username       VARCHAR(64),
  telegram_linked_at      TIMESTAMPTZ,
  notify_email            BOOLEAN NOT NULL DEFAULT TRUE,
  notify_telegram         BOOLEAN NOT NULL DEFAULT TRUE,
  status_reason           VARCHAR(500),
  last_login_at           TIMESTAMPTZ,
  last_password_change_at TIMESTAMPTZ,
  created_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at              TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_uq ON users (email);
CREATE INDEX users_status_idx ON users (status);
CREATE INDEX users_role_idx ON users (role);
CREATE INDEX users_telegram_chat_idx ON users (telegram_chat_id) WHERE telegram_chat_id IS NOT NULL;

CREATE TABLE refresh_tokens (
  id             UUID PRIMARY KEY,
  user_id        UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  family_id      UUID NOT NULL,
  token_hash     CHAR(64) NOT NULL UNIQUE,
  device_info    VARCHAR(500),
  ip_address     VARCHAR(45),
  expires_at     TIMESTAMPTZ NOT NULL,
  revoked_at     TIMESTAMPTZ,
  revoked_reason VARCHAR(32),
  created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_user_idx   ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expiry_idx ON refresh_tokens (expires_at);

CREATE TABLE verification_tokens (
  id          UUID PRIMARY KEY,
  user_id     UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  token_hash  CHAR(64) NOT NULL UNIQUE,
  type        verification_token_type NOT NULL,
  expires_at  TIMESTAMPTZ NOT NULL,
  used_at     TIMESTAMPTZ,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX verification_tokens_user_type_idx ON verification_tokens (user_id, type);

CREATE TABLE telegram_link_codes (
  id          UUID PRIMARY KEY,
  user_id     UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  code        VARCHAR(16) NOT NULL UNIQUE,
  expires_at  TIMESTAMPTZ NOT NULL,
  used_at     TIMESTAMPTZ,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
