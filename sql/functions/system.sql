-- Health and bookkeeping reads used by every binary.

-- Connection figures of the application across all workers of all
-- binaries (each names its connection after its program).
DROP FUNCTION IF EXISTS health_pool();
CREATE FUNCTION health_pool() RETURNS text
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	RETURN (SELECT q.v FROM (
		SELECT jsonb_build_object(
			'total', count(*),
			'idle', count(*) FILTER (WHERE state = 'idle'),
			'waiting', count(*) FILTER (WHERE wait_event_type = 'Lock'))::text
		  FROM pg_stat_activity
		 WHERE datname = current_database()
		   AND backend_type = 'client backend'
	) q(v) LIMIT 1);
END;
$$;

CREATE OR REPLACE FUNCTION migration_version() RETURNS text
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	RETURN (SELECT q.v FROM (
		SELECT max(version) FROM schema_migrations
	) q(v) LIMIT 1);
END;
$$;

-- The queue lock of db_exec_queued() (lib/db.h): a session advisory lock
-- per key (a user id), taken before a SERIALIZABLE transaction that moves
-- that user's credits and released after its commit, so that such
-- transactions of one user take turns instead of failing each other.
CREATE OR REPLACE FUNCTION db_queue_lock(p_key text) RETURNS void
LANGUAGE sql VOLATILE AS $$
	SELECT pg_advisory_lock(31001, hashtext(p_key))
$$;

CREATE OR REPLACE FUNCTION db_queue_unlock(p_key text) RETURNS boolean
LANGUAGE sql VOLATILE AS $$
	SELECT pg_advisory_unlock(31001, hashtext(p_key))
$$;

-- Returns once everything the calling session committed is on disk, even
-- what it committed with synchronous_commit off: this call's own
-- transaction writes one WAL record (a logical message nobody decodes), so
-- its synchronous commit flushes the WAL up to there, past every earlier
-- commit.  db_exec_queued() commits asynchronously, so that the next
-- transaction of the same user need not wait for the disk, then calls
-- this before it reports success (lib/db.c, run_pipelined()).
CREATE OR REPLACE FUNCTION db_wait_durable() RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
	PERFORM pg_logical_emit_message(true, 'musclemap', 'durable');
END;
$$;
