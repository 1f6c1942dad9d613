-- Tenants: the job's `tenant` field of `body`, copied into a column written once at insert
-- (a job never changes hands). Jobs stored before tenants belong to `default`, as their
-- `body` reads.

ALTER TABLE jobs ADD COLUMN tenant TEXT NOT NULL DEFAULT 'default';

-- A tenant's jobs a page at a time, newest first, and its counts by status.
CREATE INDEX jobs_tenant_created_at ON jobs (tenant, created_at, id);
CREATE INDEX jobs_tenant_status ON jobs (tenant, status);
