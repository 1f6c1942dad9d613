-- Threads of follow-up jobs: `parent` is the job a job follows up, `thread` the first
-- job of its chain (both NULL for a job that follows up no other). Copies of the job's
-- fields of the same names in `body`, written once at insert. No foreign key: a
-- follow-up keeps copies of what it needs from its parent, and stays readable when a
-- store's retention removes an older parent first.

ALTER TABLE jobs ADD COLUMN parent TEXT;
ALTER TABLE jobs ADD COLUMN thread TEXT;

-- A thread's jobs, oldest first (`Store::thread`).
CREATE INDEX jobs_thread ON jobs (thread, created_at, id);
