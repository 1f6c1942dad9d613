-- Jobs and their events.
--
-- `body` holds the whole job as JSON and is what the store reads back; the other columns
-- copy the fields that queries filter or sort on, and are written together with `body`
-- in one statement so the two never disagree.
-- Timestamps are RFC 3339 UTC text with exactly nine fraction digits, so text order is
-- time order.

CREATE TABLE jobs (
    id          TEXT PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL,
    stage       TEXT NOT NULL,
    prompt      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    started_at  TEXT,
    finished_at TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    generator   TEXT,
    body        TEXT NOT NULL
);

CREATE INDEX jobs_kind_created_at ON jobs (kind, created_at);
CREATE INDEX jobs_created_at ON jobs (created_at);
CREATE INDEX jobs_status ON jobs (status);

CREATE TABLE events (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    at     TEXT NOT NULL,
    body   TEXT NOT NULL
);

CREATE INDEX events_job_id ON events (job_id, seq);
