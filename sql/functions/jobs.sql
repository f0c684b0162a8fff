-- The scheduled jobs of cron/ (etc/crontab; tables in migration 0082).
--
-- Every job function does one batch and has the same shape:
--
--   job_<name>(p_cursor text, p_limit integer, p_today date,
--              p_arg text) RETURNS jsonb
--
-- p_cursor is NULL for the first batch, then the previous batch's "next";
-- p_today is the day the job runs for (NULL: today, UTC); p_arg is a
-- job-specific argument (the board of snapshot-leaderboards). The answer
-- is {"processed": rows looked at, "changed": rows written, "next":
-- cursor of the next batch or null when done}. The driver (lib/job.c)
-- runs each batch as its own statement, so no transaction ever spans more
-- than p_limit rows. A dry run is the same call in a transaction the
-- driver rolls back (DB_DRY_RUN), so its counts are exactly what a real
-- run would write.
--
-- These functions are plpgsql: they refer to helpers defined in files
-- applied after this one (tips.sql), which plpgsql resolves at run time.

-- Earlier signatures carried a dry-run flag; the driver rolls back now.
DROP FUNCTION IF EXISTS job_assign_daily_challenges(text, integer, date, boolean, text);
DROP FUNCTION IF EXISTS job_check_streaks(text, integer, date, boolean, text);
DROP FUNCTION IF EXISTS job_create_weekly_snapshots(text, integer, date, boolean, text);
DROP FUNCTION IF EXISTS job_expire_challenges(text, integer, date, boolean, text);
DROP FUNCTION IF EXISTS job_leaderboard_collect(text, integer, date, boolean, text);
DROP FUNCTION IF EXISTS job_leaderboard_rank(text, integer, date, boolean, text);
DROP FUNCTION IF EXISTS job_update_rival_scores(text, integer, date, boolean, text);

-- The advisory lock key of a job, also used by tests and operators:
--   SELECT pg_advisory_lock(job_lock_key('check-streaks'));
CREATE OR REPLACE FUNCTION job_lock_key(p_job text) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
	SELECT hashtextextended('musclemap:job:' || p_job, 0)
$$;

-- Takes the job's session-level advisory lock without waiting; false when
-- another session holds it.
CREATE OR REPLACE FUNCTION job_try_lock(p_job text) RETURNS boolean
LANGUAGE sql VOLATILE AS $$
	SELECT pg_try_advisory_lock(job_lock_key(p_job))
$$;

CREATE OR REPLACE FUNCTION job_day(p_today date) RETURNS date
LANGUAGE sql STABLE AS $$
	SELECT COALESCE(p_today, (now() AT TIME ZONE 'UTC')::date)
$$;

-- The next p_limit user ids after p_cursor, in id order.
CREATE OR REPLACE FUNCTION job_user_batch(p_cursor text, p_limit integer)
RETURNS text[]
LANGUAGE sql STABLE AS $$
	SELECT COALESCE(array_agg(id ORDER BY id), '{}')
	  FROM (SELECT u.id FROM users u
		 WHERE p_cursor IS NULL OR u.id > p_cursor
		 ORDER BY u.id LIMIT p_limit) s
$$;

CREATE OR REPLACE FUNCTION job_result(p_processed bigint, p_changed bigint,
    p_next text)
RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_build_object('processed', p_processed,
		'changed', p_changed, 'next', p_next)
$$;

-- The cursor of the next batch: the last key when the batch was full.
CREATE OR REPLACE FUNCTION job_next(p_keys text[], p_limit integer)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN cardinality(p_keys) >= p_limit
		    THEN p_keys[cardinality(p_keys)] END
$$;

-- check-streaks (hourly): keeps user_streaks in step with the workouts.
-- Looked at in a batch of users: those whose stored streak is running
-- (it may have broken), who trained yesterday or later or logged a
-- workout in the last two hours (it may have grown, also for backdated
-- workouts), and those with workouts but no row yet.
CREATE OR REPLACE FUNCTION job_check_streaks(p_cursor text, p_limit integer,
    p_today date, p_arg text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_today   date := job_day(p_today);
	v_ids     text[] := job_user_batch(p_cursor, p_limit);
	v_changed bigint := 0;
	v_result  jsonb;
BEGIN
	WITH cand AS (
		SELECT u.id
		  FROM unnest(v_ids) u(id)
		  LEFT JOIN user_streaks s ON s.user_id = u.id
		 WHERE s.current_streak > 0
		    OR EXISTS (SELECT 1 FROM workouts w
			 WHERE w.user_id = u.id AND w.date >= v_today - 1)
		    OR EXISTS (SELECT 1 FROM workouts w
			 WHERE w.user_id = u.id
			   AND w.created_at >= now() - interval '2 hours')
		    OR (s.user_id IS NULL AND EXISTS (SELECT 1
			 FROM workouts w WHERE w.user_id = u.id))
	), calc AS (
		SELECT c.id, st.current_streak, st.longest_streak,
		       st.last_date
		  FROM cand c
		 CROSS JOIN LATERAL tips_streaks(c.id, v_today) st
	), up AS (
		INSERT INTO user_streaks AS s (user_id, current_streak,
		    longest_streak, last_workout_date, updated_at)
		SELECT id, current_streak, longest_streak, last_date, now()
		  FROM calc
		    ON CONFLICT (user_id) DO UPDATE
		   SET current_streak = excluded.current_streak,
		       longest_streak = excluded.longest_streak,
		       last_workout_date = excluded.last_workout_date,
		       updated_at = excluded.updated_at
		 WHERE (s.current_streak, s.longest_streak,
			s.last_workout_date)
		       IS DISTINCT FROM
		       (excluded.current_streak, excluded.longest_streak,
			excluded.last_workout_date)
		RETURNING 1
	)
	SELECT count(*) INTO v_changed FROM up;
	v_result := job_result(cardinality(v_ids), v_changed,
	    job_next(v_ids, p_limit));
	RETURN v_result;
END;
$$;

-- update-rival-scores (hourly): each active rivalry's scores for the
-- current ISO week: the Training Units of the workouts each side dated
-- Monday..today, and the leader (NULL on a tie). Batches by rivalry id.
CREATE OR REPLACE FUNCTION job_update_rival_scores(p_cursor text,
    p_limit integer, p_today date, p_arg text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_today   date := job_day(p_today);
	v_week    date;
	v_ids     text[];
	v_changed bigint := 0;
	v_result  jsonb;
BEGIN
	v_week := v_today - (extract(isodow FROM v_today)::integer - 1);
	SELECT COALESCE(array_agg(id ORDER BY id), '{}') INTO v_ids
	  FROM (SELECT r.id FROM rivalries r
		 WHERE r.status = 'active'
		   AND (p_cursor IS NULL OR r.id > p_cursor)
		 ORDER BY r.id LIMIT p_limit) s;
	WITH sc AS (
		SELECT r.id,
		       (SELECT round(COALESCE(sum(w.total_tu::double precision),
			    0)::numeric, 2)
			  FROM workouts w
			 WHERE w.user_id = r.user_id
			   AND w.date BETWEEN v_week AND v_today) AS us,
		       (SELECT round(COALESCE(sum(w.total_tu::double precision),
			    0)::numeric, 2)
			  FROM workouts w
			 WHERE w.user_id = r.rival_id
			   AND w.date BETWEEN v_week AND v_today) AS them
		  FROM rivalries r
		 WHERE r.id = ANY (v_ids)
	), up AS (
		UPDATE rivalries r
		   SET week_start = v_week,
		       user_score = sc.us,
		       rival_score = sc.them,
		       leader_id = CASE WHEN sc.us > sc.them THEN r.user_id
					WHEN sc.them > sc.us THEN r.rival_id
				   END,
		       scores_updated_at = now()
		  FROM sc
		 WHERE r.id = sc.id
		   AND (r.week_start, r.user_score, r.rival_score,
			r.leader_id)
		       IS DISTINCT FROM
		       (v_week, sc.us, sc.them,
			CASE WHEN sc.us > sc.them THEN r.user_id
			     WHEN sc.them > sc.us THEN r.rival_id END)
		RETURNING 1
	)
	SELECT count(*) INTO v_changed FROM up;
	v_result := job_result(cardinality(v_ids), v_changed,
	    job_next(v_ids, p_limit));
	RETURN v_result;
END;
$$;

-- What a challenge of p_kind on p_date has reached: workouts logged that
-- day, their Training Units, or the TU of p_group's muscles.
CREATE OR REPLACE FUNCTION job_challenge_progress(p_user_id text,
    p_date date, p_kind text, p_group text)
RETURNS numeric
LANGUAGE plpgsql STABLE AS $$
BEGIN
	IF p_kind = 'workout' THEN
		RETURN (SELECT count(*) FROM workouts w
			 WHERE w.user_id = p_user_id AND w.date = p_date);
	ELSIF p_kind = 'tu' THEN
		RETURN (SELECT round(COALESCE(sum(w.total_tu::double precision),
			    0)::numeric, 2)
			  FROM workouts w
			 WHERE w.user_id = p_user_id AND w.date = p_date);
	END IF;
	RETURN (SELECT round(COALESCE(sum(t.tu), 0)::numeric, 2)
		  FROM tips_user_muscle_tu(p_user_id, p_date, p_date) t
		  JOIN muscles m ON m.id = t.muscle_id
		 WHERE m.muscle_group = p_group);
END;
$$;

-- expire-challenges (daily): closes the active challenges of days before
-- p_today, recording the progress measured from that day's workouts:
-- 'completed' when it reached the target, else 'expired'.
CREATE OR REPLACE FUNCTION job_expire_challenges(p_cursor text,
    p_limit integer, p_today date, p_arg text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_today   date := job_day(p_today);
	v_ids     text[];
	v_changed bigint := 0;
	v_result  jsonb;
BEGIN
	SELECT COALESCE(array_agg(id ORDER BY id), '{}') INTO v_ids
	  FROM (SELECT c.id FROM daily_challenges c
		 WHERE c.status = 'active' AND c.challenge_date < v_today
		   AND (p_cursor IS NULL OR c.id > p_cursor)
		 ORDER BY c.id LIMIT p_limit) s;
	WITH pr AS (
		SELECT c.id, job_challenge_progress(c.user_id,
		    c.challenge_date, c.kind, c.muscle_group) AS progress
		  FROM daily_challenges c
		 WHERE c.id = ANY (v_ids)
	), up AS (
		UPDATE daily_challenges c
		   SET progress = round(pr.progress, 2),
		       status = CASE WHEN pr.progress >= c.target
				     THEN 'completed' ELSE 'expired' END,
		       closed_at = now()
		  FROM pr
		 WHERE c.id = pr.id AND c.status = 'active'
		RETURNING 1
	)
	SELECT count(*) INTO v_changed FROM up;
	v_result := job_result(cardinality(v_ids), v_changed,
	    job_next(v_ids, p_limit));
	RETURN v_result;
END;
$$;

-- assign-daily-challenges (daily): one challenge for p_today to every
-- user in good standing who logged a workout in the last 30 days and has
-- none for the day. The kind is picked from a hash of (user, day), so the
-- same run again picks the same; its target comes from the user's data:
--   workout       log a workout that day (target 1)
--   tu            earn 10% more TU than on an average training day of the
--                 last 30 days, rounded to 10, at least 50
--   muscle_group  give the group trained least in the last 14 days at
--                 least 10 TU
CREATE OR REPLACE FUNCTION job_assign_daily_challenges(p_cursor text,
    p_limit integer, p_today date, p_arg text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_today   date := job_day(p_today);
	v_ids     text[] := job_user_batch(p_cursor, p_limit);
	v_changed bigint := 0;
	v_result  jsonb;
BEGIN
	WITH cand AS (
		SELECT u.id,
		       abs(hashtextextended(u.id || ':' || v_today::text,
			   0)) % 3 AS pick
		  FROM users u
		 WHERE u.id = ANY (v_ids)
		   AND (u.flags ->> 'banned') IS DISTINCT FROM 'true'
		   AND (u.flags ->> 'suspended') IS DISTINCT FROM 'true'
		   AND EXISTS (SELECT 1 FROM workouts w
			 WHERE w.user_id = u.id
			   AND w.date BETWEEN v_today - 30 AND v_today)
		   AND NOT EXISTS (SELECT 1 FROM daily_challenges c
			 WHERE c.user_id = u.id
			   AND c.challenge_date = v_today)
	), spec AS (
		SELECT c.id, c.pick,
		       (SELECT greatest(50, round(avg(d.tu) * 1.1 / 10) * 10)
			  FROM (SELECT sum(w.total_tu::double precision) AS tu
				  FROM workouts w
				 WHERE w.user_id = c.id
				   AND w.date BETWEEN v_today - 30
				       AND v_today - 1
				 GROUP BY w.date) d) AS tu_target,
		       (SELECT m.muscle_group
			  FROM muscles m
			  LEFT JOIN tips_user_muscle_tu(c.id, v_today - 14,
			      v_today - 1) t ON t.muscle_id = m.id
			 GROUP BY m.muscle_group
			 ORDER BY COALESCE(sum(t.tu), 0), m.muscle_group
			 LIMIT 1) AS grp
		  FROM cand c
	), ins AS (
		INSERT INTO daily_challenges (user_id, challenge_date, kind,
		    muscle_group, target, title)
		SELECT s.id, v_today,
		       CASE s.pick WHEN 0 THEN 'workout' WHEN 1 THEN 'tu'
			    ELSE 'muscle_group' END,
		       CASE WHEN s.pick = 2 THEN s.grp END,
		       round(CASE s.pick WHEN 0 THEN 1
			    WHEN 1 THEN COALESCE(s.tu_target, 50)
			    ELSE 10 END::numeric, 2),
		       CASE s.pick WHEN 0 THEN 'Log a workout today'
			    WHEN 1 THEN format('Earn %s Training Units today',
				COALESCE(s.tu_target, 50))
			    ELSE format('Give your %s at least 10 TU today',
				s.grp) END
		  FROM spec s
		    ON CONFLICT (user_id, challenge_date) DO NOTHING
		RETURNING 1
	)
	SELECT count(*) INTO v_changed FROM ins;
	v_result := job_result(cardinality(v_ids), v_changed,
	    job_next(v_ids, p_limit));
	RETURN v_result;
END;
$$;

-- create-weekly-snapshots (daily): the snapshot of the last completed ISO
-- week (Monday..Sunday before p_today's week) for every user who trained
-- in it; an existing snapshot is kept as it is.
CREATE OR REPLACE FUNCTION job_create_weekly_snapshots(p_cursor text,
    p_limit integer, p_today date, p_arg text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_today   date := job_day(p_today);
	v_week    date;
	v_ids     text[] := job_user_batch(p_cursor, p_limit);
	v_changed bigint := 0;
	v_result  jsonb;
BEGIN
	v_week := v_today - (extract(isodow FROM v_today)::integer - 1) - 7;
	WITH cand AS (
		SELECT u.id
		  FROM unnest(v_ids) u(id)
		 WHERE EXISTS (SELECT 1 FROM workouts w
			 WHERE w.user_id = u.id
			   AND w.date BETWEEN v_week AND v_week + 6)
		   AND NOT EXISTS (SELECT 1 FROM weekly_snapshots s
			 WHERE s.user_id = u.id AND s.week_start = v_week)
	), ins AS (
		INSERT INTO weekly_snapshots (user_id, week_start, workouts,
		    active_days, total_tu, muscle_groups)
		SELECT c.id, v_week, x.n, x.days, x.tu,
		       (SELECT COALESCE(jsonb_object_agg(g.grp, g.tu),
			    '{}'::jsonb)
			  FROM (SELECT m.muscle_group AS grp,
				       round(sum(t.tu)::numeric, 2) AS tu
				  FROM tips_user_muscle_tu(c.id, v_week,
				      v_week + 6) t
				  JOIN muscles m ON m.id = t.muscle_id
				 GROUP BY m.muscle_group) g)
		  FROM cand c
		 CROSS JOIN LATERAL (
			SELECT count(*)::integer AS n,
			       count(DISTINCT w.date)::integer AS days,
			       round(COALESCE(sum(w.total_tu::double precision),
				   0)::numeric, 2) AS tu
			  FROM workouts w
			 WHERE w.user_id = c.id
			   AND w.date BETWEEN v_week AND v_week + 6) x
		    ON CONFLICT (user_id, week_start) DO NOTHING
		RETURNING 1
	)
	SELECT count(*) INTO v_changed FROM ins;
	v_result := job_result(cardinality(v_ids), v_changed,
	    job_next(v_ids, p_limit));
	RETURN v_result;
END;
$$;

-- The snapshot of p_board for the period ending the day before p_today,
-- created (status 'building') when missing and p_create.
CREATE OR REPLACE FUNCTION job_leaderboard_snapshot(p_board text,
    p_today date, p_create boolean)
RETURNS leaderboard_snapshots
LANGUAGE plpgsql AS $$
DECLARE
	v_end  date := job_day(p_today) - 1;
	v_snap leaderboard_snapshots;
BEGIN
	IF p_board IS NULL OR p_board NOT IN ('all_time', 'weekly') THEN
		RAISE EXCEPTION 'unknown leaderboard %', p_board;
	END IF;
	SELECT * INTO v_snap FROM leaderboard_snapshots
	 WHERE board = p_board AND period_end = v_end;
	IF NOT FOUND AND p_create THEN
		INSERT INTO leaderboard_snapshots (board, period_start, period_end)
		VALUES (p_board, CASE WHEN p_board = 'weekly' THEN v_end - 6 END,
		    v_end)
		    ON CONFLICT (board, period_end) DO NOTHING;
		SELECT * INTO v_snap FROM leaderboard_snapshots
		 WHERE board = p_board AND period_end = v_end;
	END IF;
	RETURN v_snap;
END;
$$;

-- snapshot-leaderboards, pass 1 (collect): a batch of users' public
-- Training Units for the board's period, non-banned users with at least
-- one public workout in it. Nothing to do once the snapshot is complete.
CREATE OR REPLACE FUNCTION job_leaderboard_collect(p_cursor text,
    p_limit integer, p_today date, p_arg text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_ids     text[];
	v_snap    leaderboard_snapshots;
	v_changed bigint := 0;
	v_result  jsonb;
BEGIN
	SELECT * INTO v_snap FROM job_leaderboard_snapshot(p_arg, p_today, false);
	IF v_snap.status = 'complete' THEN
		RETURN job_result(0, 0, NULL);
	END IF;
	v_ids := job_user_batch(p_cursor, p_limit);
	SELECT * INTO v_snap
	  FROM job_leaderboard_snapshot(p_arg, p_today, true);
	WITH tot AS (
		SELECT u.id, x.tu, x.n
		  FROM users u
		 CROSS JOIN LATERAL (
			SELECT round(COALESCE(sum(w.total_tu::double precision),
				   0)::numeric, 2) AS tu,
			       count(*)::integer AS n
			  FROM workouts w
			 WHERE w.user_id = u.id AND w.is_public
			   AND w.date <= v_snap.period_end
			   AND (v_snap.period_start IS NULL
				OR w.date >= v_snap.period_start)) x
		 WHERE u.id = ANY (v_ids)
		   AND (u.flags ->> 'banned') IS DISTINCT FROM 'true'
		   AND x.n > 0
	), ins AS (
		INSERT INTO leaderboard_snapshot_entries (snapshot_id,
		    user_id, total_tu, workout_count)
		SELECT v_snap.id, t.id, t.tu, t.n FROM tot t
		    ON CONFLICT (snapshot_id, user_id) DO NOTHING
		RETURNING 1
	)
	SELECT count(*) INTO v_changed FROM ins;
	v_result := job_result(cardinality(v_ids), v_changed,
	    job_next(v_ids, p_limit));
	RETURN v_result;
END;
$$;

-- snapshot-leaderboards, pass 2 (rank): walks the entries in rank order
-- (total_tu desc, user_id) a batch at a time and stores position and
-- RANK(). The cursor carries "<total_tu>|<user_id>|<position>|<rank>" of
-- the last entry ranked, so ties across batches share their rank. The
-- last batch marks the snapshot complete.
CREATE OR REPLACE FUNCTION job_leaderboard_rank(p_cursor text,
    p_limit integer, p_today date, p_arg text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_snap      leaderboard_snapshots;
	v_tu        numeric;
	v_user      text;
	v_pos       integer := 0;
	v_rank      integer := 0;
	v_parts     text[];
	v_n         bigint := 0;
	v_changed   bigint := 0;
	v_last      text;
	v_next      text;
	v_result    jsonb;
BEGIN
	SELECT * INTO v_snap FROM job_leaderboard_snapshot(p_arg, p_today, false);
	IF v_snap.id IS NULL OR v_snap.status = 'complete' THEN
		RETURN job_result(0, 0, NULL);
	END IF;
	IF p_cursor IS NOT NULL THEN
		v_parts := string_to_array(p_cursor, '|');
		v_tu := v_parts[1]::numeric;
		v_user := v_parts[2];
		v_pos := v_parts[3]::integer;
		v_rank := v_parts[4]::integer;
	END IF;
	IF p_cursor IS NULL THEN
		-- The entries were just written: without statistics the
		-- planner would not use the index below.
		ANALYZE leaderboard_snapshot_entries;
	END IF;
	-- The rest of the current tie, then the lower totals: two
	-- ranges the (snapshot_id, total_tu desc, user_id) index seeks
	-- to, so each batch costs the same wherever it starts.
	WITH b0 AS (
		(SELECT e.user_id, e.total_tu
		   FROM leaderboard_snapshot_entries e
		  WHERE e.snapshot_id = v_snap.id AND p_cursor IS NOT NULL
		    AND e.total_tu = v_tu AND e.user_id > v_user
		  ORDER BY e.total_tu DESC, e.user_id
		  LIMIT p_limit)
		UNION ALL
		(SELECT e.user_id, e.total_tu
		   FROM leaderboard_snapshot_entries e
		  WHERE e.snapshot_id = v_snap.id
		    AND (p_cursor IS NULL OR e.total_tu < v_tu)
		  ORDER BY e.total_tu DESC, e.user_id
		  LIMIT p_limit)
	), b AS (
		SELECT b0.user_id, b0.total_tu,
		       row_number() OVER (ORDER BY b0.total_tu DESC,
			   b0.user_id)::integer AS rn
		  FROM b0
		 ORDER BY b0.total_tu DESC, b0.user_id
		 LIMIT p_limit
	), r AS (
		SELECT b.user_id, b.total_tu, v_pos + b.rn AS pos,
		       CASE WHEN b.total_tu = v_tu THEN v_rank
			    ELSE v_pos + min(b.rn) OVER (PARTITION BY
				b.total_tu) END AS rnk
		  FROM b
	), up AS (
		UPDATE leaderboard_snapshot_entries e
		   SET position = r.pos, rank = r.rnk
		  FROM r
		 WHERE e.snapshot_id = v_snap.id AND e.user_id = r.user_id
		   AND (e.position, e.rank) IS DISTINCT FROM (r.pos, r.rnk)
		RETURNING 1
	)
	SELECT (SELECT count(*) FROM r), (SELECT count(*) FROM up),
	       (SELECT r.total_tu::text || '|' || r.user_id || '|'
		       || r.pos || '|' || r.rnk
		  FROM r ORDER BY r.pos DESC LIMIT 1)
	  INTO v_n, v_changed, v_last;
	IF v_n >= p_limit THEN
		v_next := v_last;
	ELSE
		UPDATE leaderboard_snapshots
		   SET status = 'complete', completed_at = now(),
		       entries = (SELECT count(*)
				    FROM leaderboard_snapshot_entries e
				   WHERE e.snapshot_id = v_snap.id)
		 WHERE id = v_snap.id;
		v_changed := v_changed + 1;
	END IF;
	v_result := job_result(v_n, v_changed, v_next);
	RETURN v_result;
END;
$$;
