-- Jobs and their events, as in the SQLite schema.
--
-- `body` holds the whole job as JSON text and is what the store reads back (text, not
-- jsonb, so the job round-trips byte for byte); the other columns copy the fields that
-- queries filter or sort on, and are written together with `body` in one statement.
-- Timestamps are timestamptz (microseconds); the exact nanoseconds live in `body`.

CREATE TABLE jobs (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL,
    stage       TEXT NOT NULL,
    prompt      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    started_at  TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    attempts    INTEGER NOT NULL DEFAULT 0,
    generator   TEXT,
    body        TEXT NOT NULL
);

CREATE INDEX jobs_kind_created_at ON jobs (kind, created_at);
CREATE INDEX jobs_created_at ON jobs (created_at);
CREATE INDEX jobs_status ON jobs (status);

CREATE TABLE events (
    seq    BIGSERIAL PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    at     TIMESTAMPTZ NOT NULL,
    body   TEXT NOT NULL
);

CREATE INDEX events_job_id ON events (job_id, seq);
