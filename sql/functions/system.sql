-- Health and bookkeeping reads used by every binary.

-- Connection figures of the application across all workers of all
-- binaries (each names its connection after its program).
DROP FUNCTION IF EXISTS health_pool();
CREATE FUNCTION health_pool() RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
		'total', count(*),
		'idle', count(*) FILTER (WHERE state = 'idle'),
		'waiting', count(*) FILTER (WHERE wait_event_type = 'Lock'))::text
	  FROM pg_stat_activity
	 WHERE datname = current_database()
	   AND backend_type = 'client backend'
$$;

CREATE OR REPLACE FUNCTION migration_version() RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT max(version) FROM schema_migrations
$$;
