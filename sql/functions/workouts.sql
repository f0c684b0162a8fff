-- Workouts (API §4). The workouts binary validates the request and computes
-- the Training Units from its in-memory catalog; these functions store and
-- read workouts and answer with the contract's Workout object:
-- {"id","userId","date","totalTu","creditsUsed","exerciseData",
--  "muscleActivations","notes","isPublic","createdAt"}.
--
-- "Today" is the UTC date. Week and month windows are the last 7 and 30
-- days including today (API §4.5); a workout dated tomorrow (allowed for
-- clients ahead of UTC) counts in them as well, as in the active_users view.

-- A workout's total TU rounded to 2 decimals: the exact value the API
-- stored when it agrees with the REAL column, else the REAL column (rows
-- written by other means). See migration 0030.
create or replace function workout_tu(p_total_tu real, p_exact numeric)
returns numeric
language sql
immutable
as $$
	select case
		when p_exact is not null and p_total_tu is not null
		     and abs(p_exact - p_total_tu::double precision::numeric)
		         <= 0.01 + abs(p_exact) * 0.000001
			then p_exact
		else round(coalesce(p_total_tu, 0)::double precision::numeric, 2)
	end
$$;

create or replace function workout_json(w workouts)
returns json
language sql
stable
as $$
	select json_build_object(
		'id', w.id,
		'userId', w.user_id,
		'date', to_char(w.date, 'YYYY-MM-DD'),
		'totalTu', workout_tu(w.total_tu, w.total_tu_exact),
		'creditsUsed', w.credits_used,
		'exerciseData', w.exercise_data,
		'muscleActivations', w.muscle_activations,
		'notes', w.notes,
		'isPublic', w.is_public,
		'createdAt', iso_ts(w.created_at))
$$;

-- POST /api/workouts (API §4.2 steps 1, 2 and 4), run SERIALIZABLE by the
-- caller and retried on serialization failure.
--
-- 1. Replay: this user already logged a workout with this key: status 200
--    and the original workout; nothing is written.
-- 2. Entitlements (§5.1): trial or subscription: not charged. Free tier:
--    the workout credit action's cost (25).
-- 4. In this one transaction: the workout row; for the free tier the charge
--    through update_credit_balance() (action workout, metadata workoutId,
--    key '<userId>:workout:<client key or workout id>'); the
--    workout_completed event. Not enough credits: MM402 and the whole
--    transaction is undone.
--
-- Concurrent replays of one key: the second insert waits on the unique
-- (user_id, idempotency_key) entry of the first; once that commits it fails
-- (unique violation or serialization failure), which is raised as a
-- serialization failure so the caller's retry takes the replay path.
--
-- Sequential scans take relation-wide predicate locks, which make every
-- concurrent credit move conflict with every other (small tables such as
-- credit_balances on a young database are scanned sequentially), so this
-- function and everything it calls plan with index scans (the PostgreSQL
-- manual's advice for SERIALIZABLE workloads).
-- Concurrent workouts of one free-tier user serialize on the balance row
-- (see update_credit_balance), so they never spend more than the balance.
--
-- Returns (status 201 or 200, the workout, the event or NULL on a replay).
create or replace function workout_create(p_user_id text, p_date date,
    p_total_tu numeric, p_exercise_data jsonb, p_muscle_activations jsonb,
    p_notes text, p_is_public boolean, p_idempotency_key text,
    p_top_muscles jsonb)
returns table(status integer, workout json, event json)
language plpgsql
volatile
set enable_seqscan = off
as $$
declare
	v_w        workouts%rowtype;
	v_e        activity_events%rowtype;
	v_user     users%rowtype;
	v_id       text := mm_id('workout');
	v_cost     integer := 0;
	v_charge   record;
	v_settings jsonb;
	v_scope    text;
begin
	if p_idempotency_key is not null then
		select * into v_w
		  from workouts w
		 where w.user_id = p_user_id
		   and w.idempotency_key = p_idempotency_key;
		if found then
			return query select 200, workout_json(v_w), null::json;
			return;
		end if;
	end if;

	select * into v_user from users u where u.id = p_user_id;
	if not found then
		raise exception using errcode = 'MM401',
		    message = 'Your account no longer exists';
	end if;
	if entitlement_reason(p_user_id) is null then
		v_cost := coalesce((select a.default_cost from credit_actions a
		                     where a.id = 'workout'), 25);
	end if;

	-- ON CONFLICT rather than an exception block, which would cost a
	-- subtransaction on every call.
	insert into workouts (id, user_id, date, total_tu, total_tu_exact,
	    credits_used, notes, is_public, exercise_data,
	    muscle_activations, idempotency_key)
	values (v_id, p_user_id,
	    coalesce(p_date, (now() at time zone 'UTC')::date),
	    p_total_tu::real, p_total_tu, v_cost, p_notes,
	    coalesce(p_is_public, true), p_exercise_data,
	    p_muscle_activations, p_idempotency_key)
	on conflict on constraint workouts_user_id_idempotency_key_key
	do nothing
	returning * into v_w;
	if not found then
		raise exception 'workout key % of % logged concurrently, retry',
		    p_idempotency_key, p_user_id
		    using errcode = 'serialization_failure';
	end if;

	if v_cost > 0 then
		select * into v_charge
		  from update_credit_balance(p_user_id, -v_cost, 'workout',
		      jsonb_build_object('workoutId', v_id),
		      p_user_id || ':workout:' || coalesce(p_idempotency_key, v_id));
		if not v_charge.success then
			if v_charge.error_message = 'insufficient_credits' then
				raise exception using errcode = 'MM402',
				    message = format('You need %s credits but only have %s',
				        v_cost, v_charge.new_balance);
			end if;
			raise exception 'workout charge failed: %',
			    v_charge.error_message;
		end if;
		if v_charge.existing then
			-- The key was spent by a workout that no longer exists.
			raise exception using errcode = 'MM409',
			    message = 'This idempotencyKey was already used';
		end if;
	end if;

	-- Visibility (API §4.2) from the owner's settings (API §11.1).
	select s.settings into v_settings
	  from user_settings s where s.user_id = p_user_id;
	v_scope := case
		when not coalesce(p_is_public, true)
		     or v_settings #> '{privacy,showInFeed}' = 'false'::jsonb
			then 'private'
		when v_settings #> '{privacy,publicProfile}' = 'false'::jsonb
			then 'public_profile'
		else 'public_anon'
	end;
	insert into activity_events (user_id, event_type, payload,
	    visibility_scope)
	values (p_user_id, 'workout_completed', jsonb_build_object(
		'workoutId', v_id,
		'userId', p_user_id,
		'username', v_user.username,
		'totalTu', p_total_tu,
		'topMuscles', coalesce(p_top_muscles, '[]'::jsonb),
		'exerciseCount', jsonb_array_length(p_exercise_data)),
	    v_scope)
	returning * into v_e;

	return query select 201, workout_json(v_w),
	    activity_event_json(v_e, v_user.username, v_user.display_name, false);
end;
$$;

-- GET /api/workouts/:id (API §4.4): the owner's, or anyone's public one.
-- NULL (404) otherwise.
create or replace function workout_get(p_id text, p_viewer text)
returns json
language plpgsql
stable
as $$
#variable_conflict use_column
begin
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	return (select q.v from (
		select workout_json(w)
		  from workouts w
		 where w.id = p_id
		   and (w.user_id = p_viewer or w.is_public)
	) q(v) limit 1);
end;
$$;

-- GET /api/workouts and /api/workouts/me (API §4.3, §1.8): newest date
-- first, then newest createdAt; dates inclusive, NULL for no bound.
create or replace function workout_list(p_user_id text, p_limit integer,
    p_offset bigint, p_start date, p_end date)
returns json
language plpgsql
stable
as $$
#variable_conflict use_column
begin
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	return (select q.v from (
		select json_build_object(
			'workouts', coalesce((
				select json_agg(t.doc order by t.n)
				  from (select workout_json(w) as doc,
					       row_number() over (order by w.date desc,
						   w.created_at desc, w.id desc) as n
					  from workouts w
					 where w.user_id = p_user_id
					   and (p_start is null or w.date >= p_start)
					   and (p_end is null or w.date <= p_end)
					 order by w.date desc, w.created_at desc, w.id desc
					 limit p_limit offset p_offset) t), '[]'::json),
			'total', (select count(*)
			            from workouts w
			           where w.user_id = p_user_id
			             and (p_start is null or w.date >= p_start)
			             and (p_end is null or w.date <= p_end)),
			'limit', p_limit,
			'offset', p_offset)
	) q(v) limit 1);
end;
$$;

-- GET /api/workouts/me/stats (API §4.5).
create or replace function workout_stats(p_user_id text)
returns json
language plpgsql
stable
as $$
#variable_conflict use_column
begin
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	return (select q.v from (
		with d as (select (now() at time zone 'UTC')::date as today),
		w as (
			select w.date, workout_tu(w.total_tu, w.total_tu_exact) as tu
			  from workouts w
			 where w.user_id = p_user_id)
		select json_build_object(
			'allTime', json_build_object(
				'workoutCount', count(w.date),
				'totalTu', round(coalesce(sum(w.tu), 0), 2)),
			'thisWeek', json_build_object(
				'workoutCount', count(w.date)
				    filter (where w.date >= d.today - 6),
				'totalTu', round(coalesce(sum(w.tu)
				    filter (where w.date >= d.today - 6), 0), 2)),
			'thisMonth', json_build_object(
				'workoutCount', count(w.date)
				    filter (where w.date >= d.today - 29),
				'totalTu', round(coalesce(sum(w.tu)
				    filter (where w.date >= d.today - 29), 0), 2)))
		  from d
		  left join w on true
		 group by d.today
	) q(v) limit 1);
end;
$$;

-- GET /api/workouts/me/muscles (API §4.6): per-muscle sums over the
-- workouts dated within the last p_days days including today.
create or replace function workout_muscles(p_user_id text, p_days integer)
returns json
language plpgsql
stable
as $$
#variable_conflict use_column
begin
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	return (select q.v from (
		select json_build_object(
			'days', p_days,
			'muscleActivations', coalesce((
				select json_object_agg(t.muscle, t.total order by t.total desc,
				    t.muscle)
				  from (select a.key as muscle,
					       round(sum((a.value)::numeric), 2) as total
					  from workouts w
					 cross join lateral jsonb_each(
					       case when jsonb_typeof(w.muscle_activations)
					            = 'object' then w.muscle_activations
					            else '{}'::jsonb end) a
					 where w.user_id = p_user_id
					   and w.date >= (now() at time zone 'UTC')::date
					       - (p_days - 1)
					   and jsonb_typeof(a.value) = 'number'
					 group by a.key) t
				 where t.total > 0), '{}'::json))
	) q(v) limit 1);
end;
$$;
