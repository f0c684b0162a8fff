-- Tips, milestones, insights and progression (API §10, binary tips).
--
-- Every reader works from the user's real data: workouts.exercise_data
-- (sets, reps, duration per entry), workouts.muscle_activations (TU per
-- muscle, API §4.1), the high_fives table and the catalog. Dates are UTC
-- calendar dates. Function names carry the file's prefixes (tips_,
-- milestones_, insights_, progression_, progress_) so that they cannot
-- collide with another domain's helpers.
--
-- Functions that return a response document for an endpoint that may
-- complete milestones return (body text, events jsonb): body is the JSON
-- answer, events the array of milestone_achieved feed events the call
-- created, which the binary publishes after commit (API §1.9).

-- ------------------------------------------------------------ helpers

CREATE OR REPLACE FUNCTION tips_today() RETURNS date
LANGUAGE sql STABLE AS $$
	SELECT (now() AT TIME ZONE 'UTC')::date
$$;

-- A number from a jsonb value, or NULL when it is not a JSON number.
CREATE OR REPLACE FUNCTION tips_num(v jsonb) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN jsonb_typeof(v) = 'number' THEN (v #>> '{}')::numeric END
$$;

-- One decimal, always shown: 91.7, 0.0 (for messages).
CREATE OR REPLACE FUNCTION insights_num(x double precision) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT to_char(round(COALESCE(x, 0)::numeric, 1), 'FM999999999990.0')
$$;

-- Streaks from the days the user trained (API §6.6; user_training_days
-- holds the distinct dates of their workouts):
-- current_streak = consecutive days with a workout ending on p_today, or
-- ending the day before when there is none on p_today (0 otherwise);
-- longest_streak = the longest run ever; last_date = the newest date.
-- Always exactly one row.
DROP FUNCTION IF EXISTS tips_streaks(text, date);
CREATE FUNCTION tips_streaks(p_user_id text, p_today date)
RETURNS TABLE (current_streak integer, longest_streak integer,
	       last_date date)
LANGUAGE sql STABLE AS $$
	WITH d AS (
		SELECT t.day AS date FROM user_training_days t
		 WHERE t.user_id = p_user_id
	), isl AS (
		SELECT min(x.date) AS first, max(x.date) AS last
		  FROM (SELECT d.date,
			       d.date - (row_number() OVER (ORDER BY d.date))::integer
				   AS grp
			  FROM d) x
		 GROUP BY x.grp
	)
	SELECT COALESCE(
		(SELECT p_today - i.first + 1 FROM isl i
		  WHERE i.first <= p_today AND i.last >= p_today),
		(SELECT p_today - i.first FROM isl i
		  WHERE i.first <= p_today - 1 AND i.last >= p_today - 1),
		0)::integer,
	       -- Kept by the trigger on workouts (0090_activity_totals.sql).
	       COALESCE((SELECT t.longest_streak FROM user_activity_totals t
			  WHERE t.user_id = p_user_id), 0)::integer,
	       (SELECT max(d.date) FROM d)
$$;

-- Training Units per muscle from the user's workouts dated p_from..p_to,
-- with the newest date each muscle was worked.
DROP FUNCTION IF EXISTS tips_user_muscle_tu(text, date, date);
CREATE FUNCTION tips_user_muscle_tu(p_user_id text, p_from date, p_to date)
RETURNS TABLE (muscle_id text, tu double precision, last_date date)
LANGUAGE sql STABLE AS $$
	SELECT m.key, sum((m.value #>> '{}')::double precision), max(w.date)
	  FROM workouts w
	 CROSS JOIN LATERAL jsonb_each(CASE
		WHEN jsonb_typeof(w.muscle_activations) = 'object'
		THEN w.muscle_activations ELSE '{}'::jsonb END) m
	 WHERE w.user_id = p_user_id
	   AND w.date BETWEEN p_from AND p_to
	   AND jsonb_typeof(m.value) = 'number'
	   AND (m.value #>> '{}')::double precision > 0
	 GROUP BY m.key
$$;

-- Goals implied by an archetype's training philosophy, for goal tips when
-- the user has not stated goals in a prescription request.
DROP FUNCTION IF EXISTS tips_archetype_goals();
CREATE FUNCTION tips_archetype_goals()
RETURNS TABLE (archetype_id text, goal text)
LANGUAGE sql IMMUTABLE AS $$
	VALUES ('bodybuilder', 'hypertrophy'),
	       ('powerlifter', 'strength'), ('strongman', 'strength'),
	       ('gymnast', 'strength'), ('climber', 'strength'),
	       ('runner', 'endurance'), ('swimmer', 'endurance'),
	       ('crossfit', 'endurance'), ('martial-artist', 'endurance'),
	       ('functional', 'endurance')
$$;

-- ------------------------------------------------------------ milestones

-- A milestone's target: condition_value.threshold, else the threshold
-- column, at least 1.
-- One expression, so that the planner inlines it.
CREATE OR REPLACE FUNCTION milestones_target(m milestones) RETURNS integer
LANGUAGE sql STABLE AS $$
	SELECT greatest(1, COALESCE(
		CASE WHEN jsonb_typeof(m.condition_value -> 'threshold') = 'number'
		     THEN least((m.condition_value ->> 'threshold')::numeric,
				2147483647)::integer END,
		m.threshold, 1))
$$;

-- The condition types whose progress the server measures (API §10.6).
CREATE OR REPLACE FUNCTION milestones_tracked_types() RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
	SELECT ARRAY['workouts_completed', 'streak_days', 'total_tu',
		     'exercises_done', 'total_reps', 'total_minutes',
		     'high_fives_sent']
$$;

-- The user's current value of every server-tracked metric:
--   workouts_completed  number of workouts
--   streak_days         longest run of consecutive training days
--   total_tu            Training Units of all workouts (whole units)
--   exercises_done      exercise entries across all workouts
--   total_reps          sum of sets x reps over entries that give reps
--   total_minutes       sum of sets x duration (seconds per set, as the
--                       catalog's estimatedSeconds) over all entries; an
--                       entry without duration counts the exercise's
--                       estimated seconds per set; whole minutes
--   high_fives_sent     high-fives the user sent
DROP FUNCTION IF EXISTS milestones_metrics(text);
CREATE FUNCTION milestones_metrics(p_user_id text)
RETURNS TABLE (condition_type text, value bigint)
LANGUAGE sql STABLE AS $$
	-- The running totals (sql/migrations/0090_activity_totals.sql), so
	-- that this costs the same after ten workouts or ten thousand.
	WITH t AS (
		SELECT a.* FROM (SELECT 1) one
		  LEFT JOIN user_activity_totals a ON a.user_id = p_user_id
	)
	SELECT 'workouts_completed', COALESCE(t.workouts, 0) FROM t
	UNION ALL
	SELECT 'total_tu', floor(COALESCE(t.tu, 0))::bigint FROM t
	UNION ALL
	SELECT 'exercises_done', COALESCE(t.exercises, 0) FROM t
	UNION ALL
	SELECT 'total_reps', floor(COALESCE(t.reps, 0))::bigint FROM t
	UNION ALL
	SELECT 'total_minutes', floor(COALESCE(t.seconds, 0) / 60)::bigint FROM t
	UNION ALL
	SELECT 'streak_days', COALESCE(t.longest_streak, 0)::bigint FROM t
	UNION ALL
	SELECT 'high_fives_sent', COALESCE(t.high_fives_sent, 0) FROM t
$$;

-- A stored activity event as the owner sees it in the feed (API §7.1).
CREATE OR REPLACE FUNCTION milestones_event_json(e activity_events)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	RETURN (SELECT q.v FROM (
		SELECT jsonb_build_object(
			'id', e.id,
			'eventType', e.event_type,
			'userId', e.user_id,
			'username', u.username,
			'displayName', u.display_name,
			'payload', e.payload,
			'visibilityScope', e.visibility_scope,
			'createdAt', iso_ts(e.created_at))
		  FROM (SELECT 1) one
		  LEFT JOIN users u ON u.id = e.user_id
	) q(v) LIMIT 1);
END;
$$;

-- The per-user lock that serializes milestone bookkeeping.
CREATE OR REPLACE FUNCTION milestones_lock_key(p_user_id text) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
	SELECT hashtextextended('musclemap:milestones:' || p_user_id, 0)
$$;

-- Marks every milestone whose progress reached its target as completed
-- and inserts one private milestone_achieved event for each; returns the
-- events as feed objects. The caller holds milestones_lock_key(user):
-- only rows whose completed_at is still NULL are completed, so concurrent
-- callers cannot both emit for one milestone.
CREATE OR REPLACE FUNCTION milestones_complete_due(p_user_id text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_events jsonb;
BEGIN
	WITH done AS (
		UPDATE user_milestone_progress p
		   SET completed_at = clock_timestamp()
		  FROM milestones m
		 WHERE p.user_id = p_user_id
		   AND p.milestone_id = m.id
		   AND p.completed_at IS NULL
		   AND p.progress >= milestones_target(m)
		RETURNING m.id, m.name
	), ev AS (
		INSERT INTO activity_events (user_id, event_type, payload,
		    visibility_scope)
		SELECT p_user_id, 'milestone_achieved',
		       jsonb_build_object('milestoneId', d.id, 'name', d.name),
		       'private'
		  FROM done d
		 ORDER BY d.id
		RETURNING *
	)
	SELECT COALESCE(jsonb_agg(milestones_event_json(ev)
			ORDER BY ev.created_at, ev.id), '[]'::jsonb)
	  INTO v_events
	  FROM ev;
	RETURN v_events;
END;
$$;

-- Brings the user's milestone progress up to date from their activity
-- (API §10.6): creates the missing progress rows, sets progress of every
-- server-tracked milestone to the current metric, marks completions and
-- emits exactly one milestone_achieved event (visibility private, payload
-- {"milestoneId","name"}) per newly completed milestone. Returns the new
-- events as feed event objects ({"id","eventType","userId","username",
-- "displayName","payload","visibilityScope","createdAt"}) for the caller
-- to publish after commit; [] when nothing was completed or the user does
-- not exist.
--
-- Callers: the workouts binary after each committed workout, the
-- high-five endpoint after each high-five, and the milestone readers of
-- this file. Safe under concurrent calls and under READ COMMITTED or
-- SERIALIZABLE: a transaction-scoped advisory lock serializes the calls of
-- one user, and completion only happens on the completed_at NULL -> set
-- transition (a SERIALIZABLE caller that lost the race gets a
-- serialization failure and, retried, finds the milestone completed).
CREATE OR REPLACE FUNCTION milestones_after_activity(p_user_id text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
	IF p_user_id IS NULL
	    OR NOT EXISTS (SELECT 1 FROM users WHERE id = p_user_id) THEN
		RETURN '[]'::jsonb;
	END IF;
	PERFORM pg_advisory_xact_lock(milestones_lock_key(p_user_id));

	INSERT INTO user_milestone_progress (user_id, milestone_id)
	SELECT p_user_id, m.id FROM milestones m
	    ON CONFLICT (user_id, milestone_id) DO NOTHING;

	UPDATE user_milestone_progress p
	   SET progress = least(x.value, 2147483647)::integer
	  FROM milestones m
	  JOIN milestones_metrics(p_user_id) x
	    ON x.condition_type = m.condition_type
	 WHERE p.user_id = p_user_id
	   AND p.milestone_id = m.id
	   AND p.progress IS DISTINCT FROM least(x.value, 2147483647)::integer;

	RETURN milestones_complete_due(p_user_id);
END;
$$;

-- The milestone list of API §10.5 for one user (progress as stored).
CREATE OR REPLACE FUNCTION milestones_json(p_user_id text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	RETURN (SELECT q.v FROM (
		SELECT json_build_object('milestones', COALESCE(json_agg(
			json_build_object(
				'id', m.id,
				'name', m.name,
				'description', m.description,
				'category', m.category,
				'conditionType', m.condition_type,
				'conditionValue', m.condition_value,
				'target', milestones_target(m),
				'progress', COALESCE(p.progress, 0),
				'completed', p.completed_at IS NOT NULL,
				'completedAt', iso_ts(p.completed_at),
				'rewardCredits', m.reward_credits,
				'rewardClaimed', COALESCE(p.reward_claimed, false),
				'badgeIcon', m.badge_icon)
			ORDER BY m.category, milestones_target(m), m.id), '[]'::json))
		  FROM milestones m
		  LEFT JOIN user_milestone_progress p
		    ON p.milestone_id = m.id AND p.user_id = p_user_id
	) q(v) LIMIT 1);
END;
$$;

-- GET /api/milestones: brings progress up to date, then lists.
DROP FUNCTION IF EXISTS milestones_list(text);
CREATE FUNCTION milestones_list(p_user_id text)
RETURNS TABLE (body text, events jsonb)
LANGUAGE plpgsql AS $$
BEGIN
	events := milestones_after_activity(p_user_id);
	body := milestones_json(p_user_id)::text;
	RETURN NEXT;
END;
$$;

-- POST /api/milestones/:id/claim (API §10.7). Run SERIALIZABLE. Unknown
-- milestone: MM404; not completed: MM409 (the transaction, including the
-- progress refresh, is rolled back: nothing changes). The reward goes
-- through update_credit_balance() once, action milestone_reward, key
-- '<userId>:milestone:<id>'; later (or concurrent) claims answer
-- alreadyClaimed with the same credited value and the current balance.
DROP FUNCTION IF EXISTS milestones_claim(text, text);
CREATE FUNCTION milestones_claim(p_user_id text, p_milestone_id text)
RETURNS TABLE (body text, events jsonb)
LANGUAGE plpgsql AS $$
DECLARE
	v_m       milestones;
	v_p       user_milestone_progress;
	v_res     record;
	v_already boolean;
	v_balance integer;
BEGIN
	SELECT * INTO v_m FROM milestones WHERE id = p_milestone_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION USING ERRCODE = 'MM404',
		    MESSAGE = 'Milestone not found';
	END IF;
	events := milestones_after_activity(p_user_id);

	SELECT * INTO v_p FROM user_milestone_progress
	 WHERE user_id = p_user_id AND milestone_id = p_milestone_id
	   FOR UPDATE;
	IF NOT FOUND OR v_p.completed_at IS NULL THEN
		RAISE EXCEPTION USING ERRCODE = 'MM409',
		    MESSAGE = format('The milestone "%s" is not completed yet '
			'(%s of %s)', v_m.name, COALESCE(v_p.progress, 0),
			milestones_target(v_m));
	END IF;

	v_already := v_p.reward_claimed;
	IF NOT v_already THEN
		IF v_m.reward_credits > 0 THEN
			SELECT * INTO v_res FROM update_credit_balance(p_user_id,
			    v_m.reward_credits, 'milestone_reward',
			    jsonb_build_object('milestoneId', v_m.id),
			    p_user_id || ':milestone:' || v_m.id);
			IF NOT v_res.success THEN
				RAISE EXCEPTION 'milestone reward for % failed: %',
				    p_user_id, v_res.error_message;
			END IF;
			-- The key was used already: it was credited before.
			v_already := v_res.existing;
		END IF;
		UPDATE user_milestone_progress SET reward_claimed = true
		 WHERE user_id = p_user_id AND milestone_id = p_milestone_id;
	END IF;

	SELECT b.balance INTO v_balance FROM credit_balances b
	 WHERE b.user_id = p_user_id;
	body := json_build_object(
		'success', true,
		'milestoneId', v_m.id,
		'credited', v_m.reward_credits,
		'newBalance', COALESCE(v_balance, 0),
		'alreadyClaimed', v_already)::text;
	RETURN NEXT;
END;
$$;

-- POST /api/milestones/:id/progress (API §10.8): client-reported progress
-- of a custom milestone; progress only grows; completes at the target.
-- Unknown: MM404; any other condition type: MM409.
DROP FUNCTION IF EXISTS milestones_report_progress(text, text, integer);
CREATE FUNCTION milestones_report_progress(p_user_id text,
    p_milestone_id text, p_progress integer)
RETURNS TABLE (body text, events jsonb)
LANGUAGE plpgsql AS $$
DECLARE
	v_m milestones;
	v_p user_milestone_progress;
BEGIN
	SELECT * INTO v_m FROM milestones WHERE id = p_milestone_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION USING ERRCODE = 'MM404',
		    MESSAGE = 'Milestone not found';
	END IF;
	IF v_m.condition_type IS DISTINCT FROM 'custom' THEN
		RAISE EXCEPTION USING ERRCODE = 'MM409',
		    MESSAGE = format('The progress of "%s" is tracked by the '
			'server', v_m.name);
	END IF;
	PERFORM pg_advisory_xact_lock(milestones_lock_key(p_user_id));
	INSERT INTO user_milestone_progress (user_id, milestone_id, progress)
	VALUES (p_user_id, p_milestone_id, greatest(p_progress, 0))
	    ON CONFLICT (user_id, milestone_id) DO UPDATE
	   SET progress = greatest(user_milestone_progress.progress,
		excluded.progress)
	 WHERE user_milestone_progress.progress < excluded.progress;
	events := milestones_complete_due(p_user_id);
	SELECT * INTO v_p FROM user_milestone_progress
	 WHERE user_id = p_user_id AND milestone_id = p_milestone_id;
	body := json_build_object(
		'milestoneId', v_m.id,
		'progress', v_p.progress,
		'completed', v_p.completed_at IS NOT NULL)::text;
	RETURN NEXT;
END;
$$;

-- ------------------------------------------------------------ tips

CREATE OR REPLACE FUNCTION tips_tip_json(t tips) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
		'id', t.id,
		'triggerType', t.trigger_type,
		'triggerValue', t.trigger_value,
		'category', t.category,
		'title', t.title,
		'content', t.content,
		'priority', t.priority,
		'displayContext', to_json(COALESCE(t.display_context,
		    '{}'::text[])))
$$;

-- GET /api/tips (API §10.1): exact-match filters (NULL: any), highest
-- priority first; for a signed-in caller (p_user_id not NULL) tips seen or
-- dismissed are left out.
CREATE OR REPLACE FUNCTION tips_list(p_user_id text, p_trigger_type text,
    p_trigger_value text, p_category text, p_context text, p_limit integer)
RETURNS text
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	RETURN (SELECT q.v FROM (
		SELECT json_build_object('tips', COALESCE(json_agg(tips_tip_json(t)
			ORDER BY t.priority DESC, t.id), '[]'::json))::text
		  FROM (SELECT *
			  FROM tips t
			 WHERE (p_trigger_type IS NULL OR t.trigger_type = p_trigger_type)
			   AND (p_trigger_value IS NULL
				OR t.trigger_value = p_trigger_value)
			   AND (p_category IS NULL OR t.category = p_category)
			   AND (p_context IS NULL OR p_context = ANY (t.display_context))
			   AND (p_user_id IS NULL OR NOT EXISTS (
				SELECT 1 FROM user_tips_seen s
				 WHERE s.user_id = p_user_id AND s.tip_id = t.id))
			 ORDER BY t.priority DESC, t.id
			 LIMIT p_limit) t
	) q(v) LIMIT 1);
END;
$$;

-- GET /api/tips/contextual (API §10.2): up to 5 tips for the caller's
-- state, never one they have seen or dismissed. A tip qualifies when the
-- caller's level is within min_level..max_level, its display context
-- holds p_context (when given), and its trigger matches:
--   exercise   an exercise the caller logged in the last 14 days
--   muscle     a muscle (id) or muscle group the caller trained in the
--              last 7 days, or one they neglected: no work at all in the
--              last 14 days although they trained at least twice then
--   milestone  a milestone the caller has completed
--   goal       a goal of the caller's latest prescription request, or the
--              goal their archetype implies (tips_archetype_goals)
--   random     always
-- Highest priority first; among equals the more specific trigger
-- (exercise, muscle, milestone, goal, random), then id.
CREATE OR REPLACE FUNCTION tips_contextual(p_user_id text, p_context text)
RETURNS text
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	RETURN (SELECT q.v FROM (
		WITH u AS (
			SELECT id, current_level, current_archetype_id, tips_today() AS d
			  FROM users WHERE id = p_user_id
		), recent_ex AS (
			SELECT DISTINCT x ->> 'exerciseId' AS id
			  FROM u
			  JOIN workouts w ON w.user_id = u.id AND w.date > u.d - 14
			 CROSS JOIN LATERAL jsonb_array_elements(CASE
				WHEN jsonb_typeof(w.exercise_data) = 'array'
				THEN w.exercise_data ELSE '[]'::jsonb END) x
			 WHERE jsonb_typeof(x) = 'object'
		), mt AS (
			SELECT t.*
			  FROM u CROSS JOIN LATERAL tips_user_muscle_tu(u.id, u.d - 13,
			      u.d + 1) t
		), n14 AS (
			SELECT count(*) AS n
			  FROM u JOIN workouts w ON w.user_id = u.id AND w.date > u.d - 14
		), trained AS (
			SELECT lower(m.id) AS k
			  FROM mt JOIN muscles m ON m.id = mt.muscle_id, u
			 WHERE mt.last_date > u.d - 7
			UNION
			SELECT lower(m.muscle_group)
			  FROM mt JOIN muscles m ON m.id = mt.muscle_id, u
			 WHERE mt.last_date > u.d - 7
		), neglected AS (
			SELECT lower(m.id) AS k
			  FROM muscles m
			 WHERE (SELECT n FROM n14) >= 2
			   AND NOT EXISTS (SELECT 1 FROM mt WHERE mt.muscle_id = m.id)
			UNION
			SELECT lower(m.muscle_group)
			  FROM muscles m
			 WHERE (SELECT n FROM n14) >= 2
			 GROUP BY m.muscle_group
			HAVING bool_and(NOT EXISTS (SELECT 1 FROM mt
						     WHERE mt.muscle_id = m.id))
		), metrics AS (
			SELECT * FROM milestones_metrics(p_user_id)
		), completed AS (
			SELECT m.id
			  FROM milestones m
			  LEFT JOIN user_milestone_progress p
			    ON p.milestone_id = m.id AND p.user_id = p_user_id
			  LEFT JOIN metrics x ON x.condition_type = m.condition_type
			 WHERE p.completed_at IS NOT NULL
			    OR x.value >= milestones_target(m)
		), goals AS (
			SELECT g.goal
			  FROM (SELECT pr.constraints
				  FROM prescriptions pr
				 WHERE pr.user_id = p_user_id
				 ORDER BY pr.created_at DESC, pr.id DESC
				 LIMIT 1) p
			 CROSS JOIN LATERAL jsonb_array_elements_text(CASE
				WHEN jsonb_typeof(p.constraints -> 'goals') = 'array'
				THEN p.constraints -> 'goals' ELSE '[]'::jsonb END) g(goal)
			UNION
			SELECT a.goal
			  FROM u JOIN tips_archetype_goals() a
			    ON a.archetype_id = u.current_archetype_id
		), eligible AS (
			SELECT t AS tip, t.priority, t.id,
			       CASE t.trigger_type WHEN 'exercise' THEN 1
				    WHEN 'muscle' THEN 2 WHEN 'milestone' THEN 3
				    WHEN 'goal' THEN 4 ELSE 5 END AS specificity
			  FROM tips t, u
			 WHERE u.current_level >= t.min_level
			   AND u.current_level <= COALESCE(t.max_level, 2147483647)
			   AND (p_context IS NULL OR p_context = ANY (t.display_context))
			   AND NOT EXISTS (SELECT 1 FROM user_tips_seen s
					    WHERE s.user_id = u.id AND s.tip_id = t.id)
			   AND CASE t.trigger_type
				WHEN 'random' THEN true
				WHEN 'exercise' THEN t.trigger_value IN
				    (SELECT id FROM recent_ex)
				WHEN 'muscle' THEN lower(t.trigger_value) IN
				    (SELECT k FROM trained UNION SELECT k FROM neglected)
				WHEN 'milestone' THEN t.trigger_value IN
				    (SELECT id FROM completed)
				WHEN 'goal' THEN t.trigger_value IN
				    (SELECT goal FROM goals)
				ELSE false END
		)
		SELECT json_build_object('tips', COALESCE(json_agg(tips_tip_json(e.tip)
			ORDER BY e.priority DESC, e.specificity, e.id), '[]'::json))::text
		  FROM (SELECT * FROM eligible
			 ORDER BY priority DESC, specificity, id
			 LIMIT 5) e
	) q(v) LIMIT 1);
END;
$$;

-- POST /api/tips/:id/seen and /dismiss (API §10.3): idempotent; either
-- hides the tip from the user for good. Unknown tip: MM404.
CREATE OR REPLACE FUNCTION tips_mark(p_user_id text, p_tip_id text,
    p_dismiss boolean)
RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM tips WHERE id = p_tip_id) THEN
		RAISE EXCEPTION USING ERRCODE = 'MM404',
		    MESSAGE = 'Tip not found';
	END IF;
	INSERT INTO user_tips_seen (user_id, tip_id, dismissed)
	VALUES (p_user_id, p_tip_id, p_dismiss)
	    ON CONFLICT (user_id, tip_id) DO UPDATE SET dismissed = true
	 WHERE excluded.dismissed AND NOT user_tips_seen.dismissed;
	RETURN '{"success":true}';
END;
$$;

-- ------------------------------------------------------------ insights

-- The muscles an archetype focus tag stands for. Focus areas are free
-- tags (seed data): muscle groups (chest, back, core, ...), muscle ids
-- (lats, hip-flexors) and a few words for several groups (legs, triceps,
-- forearms, grip, hips). Tags naming no muscles (full-body, cardio,
-- olympic-lifts, mobility, stability) have no rows and are not judged.
DROP FUNCTION IF EXISTS insights_focus_muscles();
CREATE FUNCTION insights_focus_muscles()
RETURNS TABLE (tag text, muscle_id text)
LANGUAGE sql STABLE AS $$
	SELECT lower(m.muscle_group), m.id FROM muscles m
	UNION
	SELECT lower(m.id), m.id FROM muscles m
	UNION
	SELECT a.tag, m.id
	  FROM (VALUES ('legs', 'Quads'), ('legs', 'Hamstrings'),
		       ('legs', 'Glutes'), ('legs', 'Adductors'),
		       ('legs', 'Calves')) a(tag, grp)
	  JOIN muscles m ON m.muscle_group = a.grp
	UNION
	SELECT a.tag, m.id
	  FROM (VALUES ('triceps', 'triceps-long'),
		       ('triceps', 'triceps-lateral'),
		       ('triceps', 'triceps-medial'),
		       ('biceps', 'biceps-long'), ('biceps', 'biceps-short'),
		       ('forearms', 'forearm-flexors'),
		       ('forearms', 'forearm-extensors'),
		       ('forearms', 'brachioradialis'),
		       ('grip', 'forearm-flexors'),
		       ('grip', 'forearm-extensors'),
		       ('hips', 'hip-flexors'), ('hips', 'glute-med'),
		       ('hips', 'glute-min'), ('hips', 'adductor-longus'))
	       a(tag, mid)
	  JOIN muscles m ON m.id = a.mid
$$;

-- The catalog exercise that works the given muscles hardest (summed
-- activation), among those of at most p_max_difficulty.
CREATE OR REPLACE FUNCTION insights_best_exercise(p_muscles text[],
    p_max_difficulty integer)
RETURNS text
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	RETURN (SELECT q.v FROM (
		SELECT COALESCE((
			SELECT e.name
			  FROM exercises e
			  JOIN exercise_activations a ON a.exercise_id = e.id
			 WHERE a.muscle_id = ANY (p_muscles)
			   AND e.difficulty <= p_max_difficulty
			 GROUP BY e.id, e.name, e.difficulty
			 ORDER BY sum(a.activation) DESC, e.difficulty, e.name
			 LIMIT 1), 'an exercise you know well')
	) q(v) LIMIT 1);
END;
$$;

CREATE OR REPLACE FUNCTION insights_group_muscles(p_group text)
RETURNS text[]
LANGUAGE sql STABLE AS $$
	SELECT COALESCE(array_agg(id ORDER BY id), '{}')
	  FROM muscles WHERE muscle_group = p_group
$$;

CREATE OR REPLACE FUNCTION insights_item(p_type text, p_title text,
    p_message text, p_severity text, p_suggestion text)
RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_build_object('type', p_type, 'title', p_title,
		'message', p_message, 'severity', p_severity,
		'suggestion', p_suggestion)
$$;

CREATE OR REPLACE FUNCTION insights_plural(n bigint, word text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT n || ' ' || word || CASE WHEN n = 1 THEN '' ELSE 's' END
$$;

-- GET /api/insights (API §10.4): observations computed from the caller's
-- own workouts, each naming the muscles, dates and numbers it is based on.
-- Warnings first, then information, then successes.
--   getting_started     no workout yet (names the archetype, its focus, the
--                       first milestone and a beginner exercise)
--   streak_risk         a streak of 2+ days that ends unless the user
--                       trains today
--   inactivity          4+ days since the last workout
--   overtraining        a muscle given a high-volume day (>= 6 effective
--                       sets: TU x bias weight / 100, i.e. sets x
--                       activation) less than its recovery_time ago
--   muscle_imbalance    an archetype focus area far behind the others in
--                       the last 30 days (< 1/3 of the focus average), or
--                       Chest vs Back / Quads vs Hamstrings at 2:1 or more
--   missed_muscle_groups  groups with no work in the last 14 days
--   consistency         3+ workouts in the last 7 days (success)
--   training_summary    1-2 workouts in the last 7 days
CREATE OR REPLACE FUNCTION insights_for(p_user_id text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_today   date := tips_today();
	v_out     jsonb := '[]'::jsonb;
	v_user    users;
	v_arch    archetypes;
	v_total   bigint;
	v_last    date;
	v_cur     integer;
	v_long    integer;
	v_n       bigint;
	v_days    bigint;
	v_tu      double precision;
	v_focus   text;
	v_ex      text;
	r         record;
	q         record;
BEGIN
	SELECT * INTO v_user FROM users WHERE id = p_user_id;
	SELECT * INTO v_arch FROM archetypes WHERE id = v_user.current_archetype_id;
	SELECT count(*), max(w.date) INTO v_total, v_last
	  FROM workouts w WHERE w.user_id = p_user_id;
	SELECT string_agg(f, ', ' ORDER BY n) INTO v_focus
	  FROM jsonb_array_elements_text(CASE
		WHEN jsonb_typeof(v_arch.focus_areas) = 'array'
		THEN v_arch.focus_areas ELSE '[]'::jsonb END)
	       WITH ORDINALITY x(f, n);

	IF v_total = 0 THEN
		SELECT m.name, m.reward_credits INTO r
		  FROM milestones m
		 WHERE m.condition_type = 'workouts_completed'
		 ORDER BY milestones_target(m), m.id LIMIT 1;
		SELECT insights_best_exercise(COALESCE(array_agg(DISTINCT
			fm.muscle_id), (SELECT array_agg(id) FROM muscles)), 2)
		  INTO v_ex
		  FROM jsonb_array_elements_text(CASE
			WHEN jsonb_typeof(v_arch.focus_areas) = 'array'
			THEN v_arch.focus_areas ELSE '[]'::jsonb END) f(tag)
		  JOIN insights_focus_muscles() fm ON fm.tag = lower(f.tag);
		v_out := v_out || insights_item('getting_started',
		    'Log your first workout',
		    CASE WHEN v_arch.id IS NOT NULL THEN
			format('You have not logged a workout yet. You follow '
			    'the %s archetype at level %s, focused on %s.',
			    v_arch.name, v_user.current_level,
			    COALESCE(v_focus, 'all-round training'))
		    ELSE
			'You have not logged a workout yet and have not '
			'chosen an archetype, so there is no training of '
			'yours to analyse.'
		    END ||
		    CASE WHEN r.name IS NOT NULL THEN
			format(' Your first workout starts your streak and '
			    'completes the "%s" milestone (%s credits).',
			    r.name, r.reward_credits)
		    ELSE ' Your first workout starts your streak.' END,
		    'info',
		    CASE WHEN v_arch.id IS NULL THEN
			format('Choose an archetype, then log a short session '
			    'today, for example 3 sets of %s.', v_ex)
		    ELSE format('Log a short session today, for example 3 '
			'sets of %s.', v_ex) END);
		RETURN json_build_object('insights', v_out)::text;
	END IF;

	-- Streak at risk, or a long pause.
	SELECT s.current_streak, s.longest_streak INTO v_cur, v_long
	  FROM tips_streaks(p_user_id, v_today) s;
	IF v_cur >= 2 AND NOT EXISTS (SELECT 1 FROM workouts w
	    WHERE w.user_id = p_user_id AND w.date = v_today) THEN
		v_out := v_out || insights_item('streak_risk',
		    format('Your %s-day streak ends today', v_cur),
		    format('You trained on %s days in a row up to yesterday '
			'(%s) but have not logged a workout today.%s', v_cur,
			to_char(v_today - 1, 'YYYY-MM-DD'),
			CASE WHEN v_cur >= v_long
			     THEN ' It is your longest streak so far.'
			     ELSE format(' Your record is %s days.', v_long)
			END),
		    'warning',
		    format('Log any workout before midnight UTC to make it %s '
			'days.', v_cur + 1));
	ELSIF v_last <= v_today - 4 THEN
		SELECT m.muscle_group AS grp, max(t.last_date) AS last INTO q
		  FROM muscles m
		  LEFT JOIN tips_user_muscle_tu(p_user_id, DATE '1900-01-01',
		      v_today) t ON t.muscle_id = m.id
		 GROUP BY m.muscle_group
		 ORDER BY max(t.last_date) NULLS FIRST, m.muscle_group
		 LIMIT 1;
		v_out := v_out || insights_item('inactivity',
		    format('%s days without a workout', v_today - v_last),
		    format('Your last workout was on %s, %s days ago; you have '
			'logged %s in total.', to_char(v_last, 'YYYY-MM-DD'),
			v_today - v_last, insights_plural(v_total, 'workout')),
		    'warning',
		    format('Ease back in with a short session, for example 3 '
			'sets of %s for your %s (%s).',
			insights_best_exercise(insights_group_muscles(q.grp), 2),
			q.grp, CASE WHEN q.last IS NULL THEN 'never trained'
			    ELSE 'last trained ' || to_char(q.last, 'YYYY-MM-DD')
			    END));
	END IF;

	-- Muscles still recovering from a high-volume day.
	SELECT count(*) AS n,
	       string_agg(format('%s took %s effective sets %s ago and needs '
		   'about %s hours', x.name, insights_num(x.sets_eq),
		   insights_plural(floor(x.hours)::bigint, 'hour'),
		   x.recovery_time), '; ' ORDER BY x.left_h DESC, x.name)
		   AS detail,
	       (array_agg(x.name ORDER BY x.left_h DESC, x.name))[1] AS first,
	       ceil(max(x.left_h))::bigint AS wait_h,
	       array_agg(x.muscle_group) AS groups
	  INTO q
	  FROM (SELECT DISTINCT ON (d.muscle_id) d.muscle_id, mu.name,
		       mu.muscle_group, mu.recovery_time,
		       d.tu * mu.bias_weight / 100 AS sets_eq,
		       extract(epoch FROM now() - d.at) / 3600 AS hours,
		       mu.recovery_time - extract(epoch FROM now() - d.at) / 3600
			   AS left_h
		  FROM (SELECT m.key AS muscle_id, w.date,
			       sum((m.value #>> '{}')::double precision) AS tu,
			       max(least(now(), CASE
				   WHEN w.date = (w.created_at AT TIME ZONE 'UTC')::date
				   THEN w.created_at
				   ELSE (w.date::timestamp AT TIME ZONE 'UTC')
					+ interval '12 hours' END)) AS at
			  FROM workouts w
			 CROSS JOIN LATERAL jsonb_each(CASE
				WHEN jsonb_typeof(w.muscle_activations) = 'object'
				THEN w.muscle_activations ELSE '{}'::jsonb END) m
			 WHERE w.user_id = p_user_id
			   AND w.date >= v_today - 7
			   AND jsonb_typeof(m.value) = 'number'
			 GROUP BY m.key, w.date) d
		  JOIN muscles mu ON mu.id = d.muscle_id
		 WHERE d.tu * mu.bias_weight / 100 >= 6
		   AND mu.recovery_time IS NOT NULL
		 ORDER BY d.muscle_id, d.at DESC) x
	 WHERE x.left_h > 0;
	IF q.n > 0 THEN
		SELECT string_agg(g, ' or ' ORDER BY g) INTO v_ex
		  FROM (SELECT m.muscle_group AS g
			  FROM muscles m
			 WHERE m.muscle_group <> ALL (q.groups)
			 GROUP BY m.muscle_group
			HAVING NOT EXISTS (SELECT 1
				FROM tips_user_muscle_tu(p_user_id, v_today - 1,
				    v_today + 1) t
				JOIN muscles mm ON mm.id = t.muscle_id
			       WHERE mm.muscle_group = m.muscle_group)
			 ORDER BY m.muscle_group LIMIT 2) z;
		v_out := v_out || insights_item('overtraining',
		    CASE WHEN q.n = 1 THEN format('%s is still recovering',
			q.first)
		    ELSE format('%s and %s more are still recovering', q.first,
			insights_plural(q.n - 1, 'muscle')) END,
		    q.detail || '.',
		    'warning',
		    format('Give them about %s more; %s', insights_plural(
			q.wait_h, 'hour'), CASE WHEN v_ex IS NULL
			THEN 'keep today''s session light.'
			ELSE format('train %s today instead.', v_ex) END));
	END IF;

	-- Archetype focus areas far behind the others (last 30 days).
	IF v_arch.id IS NOT NULL THEN
		WITH mt AS (
			SELECT * FROM tips_user_muscle_tu(p_user_id,
			    v_today - 29, v_today + 1)
		), fa AS (
			SELECT f.tag, min(f.n) AS n,
			       COALESCE(sum(mt.tu), 0) AS tu
			  FROM jsonb_array_elements_text(CASE
				WHEN jsonb_typeof(v_arch.focus_areas) = 'array'
				THEN v_arch.focus_areas ELSE '[]'::jsonb END)
			       WITH ORDINALITY f(tag, n)
			  JOIN insights_focus_muscles() fm ON fm.tag = lower(f.tag)
			  LEFT JOIN mt ON mt.muscle_id = fm.muscle_id
			 GROUP BY f.tag
		), tot AS (
			SELECT COALESCE(sum(tu), 0) AS tu FROM mt
		)
		SELECT count(*) FILTER (WHERE fa.tu < a.avg_tu / 3) AS lagging,
		       string_agg(format('%s got %s TU (%s%%)', fa.tag,
			   insights_num(fa.tu), round(100 * fa.tu / tot.tu)),
			   ', ' ORDER BY fa.tu, fa.n)
			   FILTER (WHERE fa.tu < a.avg_tu / 3) AS detail,
		       (array_agg(fa.tag ORDER BY fa.tu, fa.n)
			   FILTER (WHERE fa.tu < a.avg_tu / 3))[1] AS worst,
		       (array_agg(fa.tag ORDER BY fa.tu DESC, fa.n))[1] AS top,
		       max(fa.tu) AS top_tu, min(tot.tu) AS total,
		       count(*) AS areas
		  INTO q
		  FROM fa, tot,
		       (SELECT avg(tu) AS avg_tu FROM fa) a
		 WHERE tot.tu > 0;
		IF q.areas >= 2 AND q.lagging > 0 THEN
			v_out := v_out || insights_item('muscle_imbalance',
			    format('Your %s focus is lopsided', v_arch.name),
			    format('Your %s focus areas are %s. In the last 30 '
				'days %s of your %s TU, while %s got %s TU (%s%%).',
				v_arch.name, v_focus, q.detail,
				insights_num(q.total), q.top,
				insights_num(q.top_tu),
				round(100 * q.top_tu / q.total)),
			    'warning',
			    format('Add %s to work your %s.',
				insights_best_exercise((SELECT array_agg(fm.muscle_id)
				    FROM insights_focus_muscles() fm
				   WHERE fm.tag = lower(q.worst)), 3), q.worst));
		END IF;
	END IF;

	-- Opposing muscle groups (last 30 days).
	FOR r IN
		WITH gt AS (
			SELECT m.muscle_group AS grp, sum(t.tu) AS tu
			  FROM tips_user_muscle_tu(p_user_id, v_today - 29,
			      v_today + 1) t
			  JOIN muscles m ON m.id = t.muscle_id
			 GROUP BY m.muscle_group
		)
		SELECT p.a, p.b, COALESCE(ga.tu, 0) AS a_tu,
		       COALESCE(gb.tu, 0) AS b_tu
		  FROM (VALUES (1, 'Chest', 'Back'), (2, 'Quads', 'Hamstrings'))
		       p(n, a, b)
		  LEFT JOIN gt ga ON ga.grp = p.a
		  LEFT JOIN gt gb ON gb.grp = p.b
		 ORDER BY p.n
	LOOP
		IF greatest(r.a_tu, r.b_tu) >= 10
		    AND greatest(r.a_tu, r.b_tu) >= 2 * least(r.a_tu, r.b_tu) THEN
			SELECT CASE WHEN r.a_tu >= r.b_tu THEN r.a ELSE r.b END
			       AS hi,
			       CASE WHEN r.a_tu >= r.b_tu THEN r.b ELSE r.a END
			       AS lo,
			       greatest(r.a_tu, r.b_tu) AS hi_tu,
			       least(r.a_tu, r.b_tu) AS lo_tu
			  INTO q;
			v_out := v_out || insights_item('muscle_imbalance',
			    format('%s outweighs %s', q.hi, q.lo),
			    format('In the last 30 days your %s got %s TU but '
				'your %s only %s TU%s.', q.hi,
				insights_num(q.hi_tu), q.lo,
				insights_num(q.lo_tu),
				CASE WHEN q.lo_tu > 0 THEN format(' (%s times as '
				    'much)', insights_num(q.hi_tu / q.lo_tu))
				ELSE '' END),
			    'warning',
			    format('Balance it with %s for your %s.',
				insights_best_exercise(
				    insights_group_muscles(q.lo), 3), q.lo));
		END IF;
	END LOOP;

	-- Muscle groups left out in the last 14 days.
	SELECT count(*) INTO v_n FROM workouts w
	 WHERE w.user_id = p_user_id AND w.date > v_today - 14;
	IF v_n > 0 THEN
		WITH g AS (
			SELECT m.muscle_group AS grp,
			       bool_or(t.muscle_id IS NOT NULL) AS trained
			  FROM muscles m
			  LEFT JOIN tips_user_muscle_tu(p_user_id, v_today - 13,
			      v_today + 1) t ON t.muscle_id = m.id
			 GROUP BY m.muscle_group
		)
		SELECT count(*) FILTER (WHERE NOT trained) AS missed,
		       count(*) AS groups,
		       string_agg(grp, ', ' ORDER BY grp)
			   FILTER (WHERE trained) AS trained_list,
		       string_agg(grp, ', ' ORDER BY grp)
			   FILTER (WHERE NOT trained) AS missed_list,
		       min(grp) FILTER (WHERE NOT trained) AS first
		  INTO q FROM g;
		IF q.missed > 0 THEN
			v_out := v_out || insights_item('missed_muscle_groups',
			    format('%s not trained in 14 days',
				insights_plural(q.missed, 'muscle group')),
			    format('In the last 14 days (%s) you trained %s but '
				'not %s.', insights_plural(v_n, 'workout'),
				q.trained_list, q.missed_list),
			    CASE WHEN q.missed * 2 >= q.groups THEN 'warning'
				 ELSE 'info' END,
			    format('Next session, add %s for your %s.',
				insights_best_exercise(
				    insights_group_muscles(q.first), 3),
				q.first));
		END IF;
	END IF;

	-- The last 7 days.
	SELECT count(*), count(DISTINCT w.date),
	       COALESCE(sum(w.total_tu::double precision), 0)
	  INTO v_n, v_days, v_tu
	  FROM workouts w
	 WHERE w.user_id = p_user_id AND w.date > v_today - 7
	   AND w.date <= v_today;
	IF v_n >= 3 THEN
		v_out := v_out || insights_item('consistency',
		    format('%s this week', insights_plural(v_n, 'workout')),
		    format('You logged %s on %s in the last 7 days, %s TU in '
			'total.', insights_plural(v_n, 'workout'),
			insights_plural(v_days, 'different day'),
			insights_num(v_tu)),
		    'success',
		    format('Keep it going: your current streak is %s and your '
			'longest is %s.', insights_plural(v_cur, 'day'),
			insights_plural(v_long, 'day')));
	ELSIF v_n >= 1 THEN
		SELECT m.muscle_group AS grp, COALESCE(sum(t.tu), 0) AS tu
		  INTO r
		  FROM muscles m
		  LEFT JOIN tips_user_muscle_tu(p_user_id, v_today - 6,
		      v_today) t ON t.muscle_id = m.id
		 GROUP BY m.muscle_group
		 ORDER BY COALESCE(sum(t.tu), 0) DESC, m.muscle_group
		 LIMIT 1;
		SELECT m.muscle_group AS grp INTO q
		  FROM muscles m
		  LEFT JOIN tips_user_muscle_tu(p_user_id, v_today - 6,
		      v_today) t ON t.muscle_id = m.id
		 GROUP BY m.muscle_group
		 ORDER BY COALESCE(sum(t.tu), 0), m.muscle_group
		 LIMIT 1;
		v_out := v_out || insights_item('training_summary',
		    format('%s in the last 7 days',
			insights_plural(v_n, 'workout')),
		    format('In the last 7 days you logged %s with %s TU; your '
			'most-trained group was %s (%s TU).',
			insights_plural(v_n, 'workout'), insights_num(v_tu),
			r.grp, insights_num(r.tu)),
		    'info',
		    format('One more session this week would make %s; your %s '
			'had the least work.', insights_plural(v_n + 1,
			'workout'), q.grp));
	END IF;

	RETURN json_build_object('insights', COALESCE((
		SELECT jsonb_agg(x.v ORDER BY CASE x.v ->> 'severity'
			WHEN 'warning' THEN 0 WHEN 'info' THEN 1 ELSE 2 END, x.n)
		  FROM jsonb_array_elements(v_out) WITH ORDINALITY x(v, n)),
		'[]'::jsonb))::text;
END;
$$;

-- ------------------------------------------------------------ progression

-- GET /api/progression/mastery-levels (API §10.9): the levels of
-- p_archetype_id, or of the caller's archetype when it is NULL. An
-- unknown archetype id: MM404. No archetype at all: null and [].
CREATE OR REPLACE FUNCTION progression_mastery_levels(p_user_id text,
    p_archetype_id text)
RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_arch text := p_archetype_id;
BEGIN
	IF v_arch IS NULL THEN
		SELECT current_archetype_id INTO v_arch FROM users
		 WHERE id = p_user_id;
	ELSIF NOT EXISTS (SELECT 1 FROM archetypes WHERE id = v_arch) THEN
		RAISE EXCEPTION USING ERRCODE = 'MM404',
		    MESSAGE = 'Archetype not found';
	END IF;
	RETURN json_build_object(
		'archetypeId', v_arch,
		'levels', COALESCE((
			SELECT json_agg(json_build_object('level', l.level,
				'name', l.name, 'totalTu', l.total_tu)
				ORDER BY l.level)
			  FROM archetype_levels l
			 WHERE l.archetype_id = v_arch), '[]'::json))::text;
END;
$$;

-- GET /api/progression/achievements (API §10.9): the completed
-- milestones, oldest first, after bringing progress up to date.
DROP FUNCTION IF EXISTS progression_achievements(text);
CREATE FUNCTION progression_achievements(p_user_id text)
RETURNS TABLE (body text, events jsonb)
LANGUAGE plpgsql AS $$
BEGIN
	events := milestones_after_activity(p_user_id);
	SELECT json_build_object('achievements', COALESCE(json_agg(
		json_build_object(
			'milestoneId', m.id,
			'name', m.name,
			'completedAt', iso_ts(p.completed_at),
			'rewardCredits', m.reward_credits,
			'rewardClaimed', p.reward_claimed)
		ORDER BY p.completed_at, m.id), '[]'::json))::text
	  INTO body
	  FROM user_milestone_progress p
	  JOIN milestones m ON m.id = p.milestone_id
	 WHERE p.user_id = p_user_id AND p.completed_at IS NOT NULL;
	RETURN NEXT;
END;
$$;

-- GET /api/progress/stats (API §10.9): totals over all workouts, the last
-- 7 days including today (§4.5), the current streak (§6.6), the level.
CREATE OR REPLACE FUNCTION progress_stats(p_user_id text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	RETURN (SELECT q.v FROM (
		SELECT json_build_object(
			'totalWorkouts', COALESCE((SELECT t.workouts
				FROM user_activity_totals t WHERE t.user_id = u.id), 0),
			'totalTu', journey_total_tu(u.id),
			'workoutsThisWeek', (SELECT count(*) FROM workouts w
					      WHERE w.user_id = u.id
						AND w.date > tips_today() - 7
						AND w.date <= tips_today()),
			'streak', (SELECT s.current_streak
				     FROM tips_streaks(u.id, tips_today()) s),
			'level', u.current_level,
			'currentArchetypeId', u.current_archetype_id)::text
		  FROM users u
		 WHERE u.id = p_user_id
	) q(v) LIMIT 1);
END;
$$;
