-- Indexes for job lists a page at a time (`Store::page`): newest first by
-- (created_at, id), filtered by kind, or kind and status, or status, or nothing. With
-- these a page is an index scan of `limit` entries from the cursor on, however many
-- jobs are stored. They replace the indexes on (kind, created_at), (created_at) and
-- (status), which they cover.

DROP INDEX IF EXISTS jobs_kind_created_at;
DROP INDEX IF EXISTS jobs_created_at;
DROP INDEX IF EXISTS jobs_status;

CREATE INDEX jobs_page ON jobs (created_at, id);
CREATE INDEX jobs_kind_page ON jobs (kind, created_at, id);
CREATE INDEX jobs_kind_status_page ON jobs (kind, status, created_at, id);
CREATE INDEX jobs_status_page ON jobs (status, created_at, id);
