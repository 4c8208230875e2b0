-- The queue: one row per job, one row per result, and a log of what worker 0 checked and repaired.
-- Applied by scripts/load-jobs.mjs; idempotent, so every host's deploy step may run it.

CREATE TABLE IF NOT EXISTS jobs (
  id                bigserial PRIMARY KEY,
  payload           text        NOT NULL,
  state             text        NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'claimed', 'done')),
  -- Who holds the job while state = 'claimed': the lease. attempts also numbers the claims, so a
  -- worker whose lease was taken away can never complete a later claim of the same job.
  claimed_by_host   text,
  claimed_by_worker int,
  claimed_by_pid    int,
  lease_until       timestamptz,
  attempts          int         NOT NULL DEFAULT 0,
  created_at        timestamptz NOT NULL DEFAULT now(),
  claimed_at        timestamptz,
  done_at           timestamptz,
  CHECK ((state = 'claimed') = (lease_until IS NOT NULL))
);
-- Workers look for the oldest queued job; worker 0 for expired leases.
CREATE INDEX IF NOT EXISTS jobs_queued ON jobs (id) WHERE state = 'queued';
CREATE INDEX IF NOT EXISTS jobs_claimed ON jobs (lease_until) WHERE state = 'claimed';

-- The primary key on job_id is what makes "one result per job" a fact, not a hope.
CREATE TABLE IF NOT EXISTS results (
  job_id      bigint      PRIMARY KEY REFERENCES jobs (id),
  host        text        NOT NULL,
  worker      int         NOT NULL,
  pid         int         NOT NULL,
  attempt     int         NOT NULL,
  output      text        NOT NULL,
  -- sha256 of '<job_id>:<output>' in hex, written by the worker, verified by worker 0.
  checksum    text        NOT NULL,
  finished_at timestamptz NOT NULL DEFAULT now()
);

-- Every repair worker 0 made, and by whom: the audit trail the test reads.
CREATE TABLE IF NOT EXISTS repairs (
  id          bigserial   PRIMARY KEY,
  job_id      bigint      NOT NULL REFERENCES jobs (id),
  kind        text        NOT NULL CHECK (kind IN ('lease-expired', 'bad-checksum', 'done-without-result')),
  -- The claim that was undone (for lease-expired: the worker that died or hung).
  from_host   text,
  from_worker int,
  from_pid    int,
  by_host     text        NOT NULL,
  by_worker   int         NOT NULL,
  by_pid      int         NOT NULL,
  at          timestamptz NOT NULL DEFAULT now()
);

-- One row per integrity pass that got the checker lock: what it saw.
CREATE TABLE IF NOT EXISTS checks (
  id            bigserial   PRIMARY KEY,
  host          text        NOT NULL,
  pid           int         NOT NULL,
  at            timestamptz NOT NULL DEFAULT now(),
  queued        int         NOT NULL,
  claimed       int         NOT NULL,
  done          int         NOT NULL,
  repaired      int         NOT NULL
);
