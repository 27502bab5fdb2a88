-- notification-service (notification.md §5.1, §8). The jobs of the `email` and `telegram`
-- queues live in the platform `jobs` table (20260101000000_jobs.sql).

CREATE TABLE notification_templates (
    id           uuid         PRIMARY KEY,
    key          varchar(64)  NOT NULL,
    channel      varchar(10)  NOT NULL,
    event        varchar(40)  NULL,
    subject      text         NULL,
    body         text         NOT NULL,
    text_body    text         NULL,
    variables    text[]       NOT NULL DEFAULT '{}',
    is_active    boolean      NOT NULL DEFAULT true,
    version      integer      NOT NULL DEFAULT 1,
    updated_by   varchar(200) NULL,
    created_at   timestamptz  NOT NULL DEFAULT now(),
    updated_at   timestamptz  NOT NULL DEFAULT now(),

    CONSTRAINT notification_templates_key_channel_key UNIQUE (key, channel),
    CONSTRAINT notification_templates_channel_check CHECK (channel IN ('EMAIL', 'TELEGRAM')),
    CONSTRAINT notification_templates_subject_check CHECK (channel = 'EMAIL' OR subject IS NULL)
);

CREATE TABLE notification_logs (
    id                   uuid          PRIMARY KEY,
    user_id              text          NOT NULL,
    event                varchar(40)   NOT NULL,
    channel              varchar(10)   NOT NULL,
    status               varchar(10)   NOT NULL DEFAULT 'QUEUED',
    recipient            varchar(255)  NOT NULL,
    template_key         varchar(64)   NOT NULL,
    template_version     integer       NOT NULL,
    subject              varchar(255)  NULL,
    content              text          NOT NULL,
    payload              jsonb         NOT NULL DEFAULT '{}'::jsonb,
    error                text          NULL,
    attempts             integer       NOT NULL DEFAULT 0,
    job_id               uuid          NULL,
    idempotency_key      varchar(200)  NULL,
    request_id           varchar(128)  NOT NULL,
    provider_message_id  varchar(255)  NULL,
    sent_at              timestamptz   NULL,
    created_at           timestamptz   NOT NULL DEFAULT now(),
    updated_at           timestamptz   NOT NULL DEFAULT now(),

    CONSTRAINT notification_logs_channel_check CHECK (channel IN ('EMAIL', 'TELEGRAM')),
    CONSTRAINT notification_logs_status_check CHECK (status IN ('QUEUED', 'SENT', 'FAILED')),
    -- A queued log always has the job that delivers it (notification.md §3 step 5).
    CONSTRAINT notification_logs_queued_job_check CHECK (status <> 'QUEUED' OR job_id IS NOT NULL)
);

CREATE INDEX notification_logs_user_id_idx ON notification_logs (user_id);
CREATE INDEX notification_logs_event_idx ON notification_logs (event);
CREATE INDEX notification_logs_channel_idx ON notification_logs (channel);
CREATE INDEX notification_logs_status_idx ON notification_logs (status);
CREATE INDEX notification_logs_created_at_idx ON notification_logs (created_at DESC, id DESC);
CREATE INDEX notification_logs_idempotency_idx ON notification_logs (idempotency_key, created_at)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX notification_logs_job_id_idx ON notification_logs (job_id) WHERE job_id IS NOT NULL;
