-- Quotas and usage: `bytes` is the job's `Job::stored_bytes` (its inputs and what it made,
-- an input listed among a report's artifacts counted once), written with every write of
-- `body`, so a tenant's stored bytes are one sum over its rows (`Store::usage`). Jobs
-- stored before get theirs from `body` here.

ALTER TABLE jobs ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;

UPDATE jobs SET bytes =
    COALESCE((SELECT SUM(json_extract(value, '$.size')) FROM json_each(body, '$.inputs')), 0)
    + COALESCE((SELECT SUM(json_extract(value, '$.size')) FROM json_each(body, '$.artifacts')
                WHERE json_extract(value, '$.kind') <> 'input'), 0);

-- A tenant's usage (`Store::usage`, on every submission of a tenant with quotas) and the
-- running count of a claim read this index alone, not the rows; it covers what the
-- (tenant, status) index served.
DROP INDEX IF EXISTS jobs_tenant_status;
CREATE INDEX jobs_tenant_usage ON jobs (tenant, status, created_at, bytes);
