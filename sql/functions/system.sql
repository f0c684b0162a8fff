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
