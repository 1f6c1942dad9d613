-- The retention sweeper (`Store::expired`) asks for the final jobs that finished before a
-- cutoff, oldest first: with this index it reads only those, however many jobs are kept.
-- Jobs not yet finished have no `finished_at` and stay out of the index.

CREATE INDEX jobs_finished_at ON jobs (finished_at) WHERE finished_at IS NOT NULL;
