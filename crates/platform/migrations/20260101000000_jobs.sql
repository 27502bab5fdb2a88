-- Durable jobs: the transactional outbox of platform.md §10.4.
-- A job row is inserted in the same transaction as the state change that causes it.

CREATE TABLE jobs (
    id                 uuid         PRIMARY KEY,
    queue              varchar(50)  NOT NULL,
    subject_id         varchar(100) NOT NULL,
    dedupe_key         varchar(200) NULL,
    payload            jsonb        NOT NULL DEFAULT '{}'::jsonb,
    secret_payload_enc text         NULL,
    state              varchar(10)  NOT NULL DEFAULT 'PENDING',
    attempts           integer      NOT NULL DEFAULT 0,
    max_attempts       integer      NULL,
    run_at             timestamptz  NOT NULL DEFAULT now(),
    lease_owner        varchar(200) NULL,
    lease_expires_at   timestamptz  NULL,
    last_error         text         NULL,
    last_http_status   integer      NULL,
    dead_reason        varchar(50)  NULL,
    request_id         varchar(128) NULL,
    created_at         timestamptz  NOT NULL DEFAULT now(),
    updated_at         timestamptz  NOT NULL DEFAULT now(),
    done_at            timestamptz  NULL,

    CONSTRAINT jobs_dedupe_key_key UNIQUE (dedupe_key),
    CONSTRAINT jobs_state_check CHECK (state IN ('PENDING', 'RUNNING', 'DONE', 'DEAD')),
    CONSTRAINT jobs_attempts_check CHECK (attempts >= 0),
    CONSTRAINT jobs_max_attempts_check CHECK (max_attempts IS NULL OR max_attempts > 0),
    -- A RUNNING job always names its holder, so an expired lease can be recognised and reclaimed.
    CONSTRAINT jobs_lease_check CHECK (
        state <> 'RUNNING' OR (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL)
    ),
    CONSTRAINT jobs_dead_reason_check CHECK (state <> 'DEAD' OR dead_reason IS NOT NULL)
);

-- The claim: due PENDING jobs (and RUNNING ones whose lease ran out) of one queue, oldest run_at first.
CREATE INDEX jobs_claim_idx ON jobs (queue, state, run_at);

-- Expired leases are found without scanning the RUNNING jobs of every queue by run_at.
CREATE INDEX jobs_lease_idx ON jobs (queue, lease_expires_at) WHERE state = 'RUNNING';

-- Dead-letter views list a queue's DEAD jobs newest first.
CREATE INDEX jobs_dead_idx ON jobs (queue, updated_at DESC) WHERE state = 'DEAD';

-- The periodic purge of DONE jobs 30 days after done_at.
CREATE INDEX jobs_done_at_idx ON jobs (done_at) WHERE state = 'DONE';

-- Admin views and support look jobs up by what they are about.
CREATE INDEX jobs_subject_idx ON jobs (subject_id);
