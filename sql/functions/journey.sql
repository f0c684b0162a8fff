-- Journey: archetypes, levels, progress, and stored prescriptions (API §6).
--
-- Every function answers with the contract's JSON document; errors are
-- raised with SQLSTATE MMnnn and a message for users. Dates are UTC.
--
-- Total TU is summed the way the reporting views do it (0011_views.sql):
-- in double precision, rounded to 2 decimals at the end. The level of a
-- user is the highest level of the chosen archetype whose threshold is at
-- most that total (API §6.5).
--
-- This file is applied on every migrate run; functions whose signature or
-- result type changes are dropped first.

-- The user's total TU over all workouts, public and private.
create or replace function journey_total_tu(p_user_id text)
returns numeric
language plpgsql
stable
as $$
#variable_conflict use_column
begin
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	return (select q.v from (
		select round(coalesce((select t.tu from user_activity_totals t
					where t.user_id = p_user_id), 0)::numeric, 2)
	) q(v) limit 1);
end;
$$;

-- The level row reached with p_tu TU in an archetype (NULL columns when the
-- archetype has no level at or below p_tu).
create or replace function journey_level_at(p_archetype_id text,
    p_tu numeric)
returns archetype_levels
language sql
stable
as $$
	select l.*
	  from archetype_levels l
	 where l.archetype_id = p_archetype_id
	   and l.total_tu <= p_tu
	 order by l.level desc
	 limit 1
$$;

-- Consecutive days with at least one workout, ending today, or ending
-- yesterday when there is none today; 0 otherwise (API §6.6). Workouts
-- dated after today do not count.
create or replace function journey_streak(p_user_id text)
returns integer
language plpgsql
stable
as $$
#variable_conflict use_column
begin
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	return (select q.v from (
		with today as (
			select (now() at time zone 'UTC')::date as d
		), days as (
			select distinct w.date
			  from workouts w, today t
			 where w.user_id = p_user_id
			   and w.date <= t.d
		), anchor as (
			select case
				when exists (select 1 from days, today t where days.date = t.d)
					then (select d from today)
				when exists (select 1 from days, today t
				              where days.date = t.d - 1)
					then (select d - 1 from today)
			end as d
		), ranked as (
			select days.date,
			       row_number() over (order by days.date desc) as rn
			  from days, anchor
			 where days.date <= anchor.d
		)
		-- Dates are distinct and descending, so once one misses its slot
		-- every later one does too: the matches are exactly the run.
		select count(*)::integer
		  from ranked, anchor
		 where ranked.date = anchor.d - (ranked.rn - 1)::integer
	) q(v) limit 1);
end;
$$;

-- GET /api/archetypes (API §6.1).
create or replace function journey_archetypes()
returns json
language plpgsql
stable
as $$
#variable_conflict use_column
begin
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	return (select q.v from (
		select coalesce(json_agg(json_build_object(
			'id', a.id,
			'name', a.name,
			'philosophy', a.philosophy,
			'description', a.description,
			'focusAreas', coalesce(a.focus_areas, '[]'::jsonb),
			'iconUrl', a.icon_url) order by a.id), '[]'::json)
		  from archetypes a
	) q(v) limit 1);
end;
$$;

-- GET /api/archetypes/:id/levels (API §6.2). Unknown archetype: MM404.
create or replace function journey_levels(p_archetype_id text)
returns json
language plpgsql
stable
as $$
begin
	if not exists (select 1 from archetypes a where a.id = p_archetype_id)
	then
		raise exception using errcode = 'MM404',
		    message = 'Archetype not found';
	end if;
	return (select coalesce(json_agg(json_build_object(
			'level', l.level,
			'name', l.name,
			'totalTu', l.total_tu,
			'description', l.description,
			'muscleTargets', coalesce(l.muscle_targets, '[]'::jsonb))
			order by l.level), '[]'::json)
		  from archetype_levels l
		 where l.archetype_id = p_archetype_id);
end;
$$;

-- POST /api/journey/select-archetype and /api/archetypes/select (API §6.3).
-- Sets the archetype and the level its thresholds give the user's total
-- TU, without level_up events (reaching a level by choosing an archetype
-- is not an achievement). Run SERIALIZABLE by the caller.
create or replace function journey_select(p_user_id text,
    p_archetype_id text)
returns json
language plpgsql
volatile
as $$
declare
	v_a   archetypes%rowtype;
	v_l   archetype_levels%rowtype;
	v_lvl integer;
begin
	select * into v_a from archetypes a where a.id = p_archetype_id;
	if not found then
		raise exception using errcode = 'MM404',
		    message = 'Archetype not found';
	end if;
	v_l := journey_level_at(v_a.id, journey_total_tu(p_user_id));
	v_lvl := coalesce(v_l.level, 1);
	update users u
	   set current_archetype_id = v_a.id, current_level = v_lvl
	 where u.id = p_user_id;
	if not found then
		raise exception using errcode = 'MM401',
		    message = 'Your account no longer exists';
	end if;
	return json_build_object(
		'success', true,
		'archetype', json_build_object('id', v_a.id, 'name', v_a.name),
		'level', v_lvl,
		'levelName', v_l.name);
end;
$$;

-- GET /api/journey (API §6.4).
create or replace function journey_overview(p_user_id text)
returns json
language plpgsql
stable
as $$
declare
	v_u     users%rowtype;
	v_a     archetypes%rowtype;
	v_l     archetype_levels%rowtype;
	v_next  integer;
	v_tu    numeric := journey_total_tu(p_user_id);
	v_count bigint;
begin
	select * into v_u from users u where u.id = p_user_id;
	if not found then
		raise exception using errcode = 'MM401',
		    message = 'Your account no longer exists';
	end if;
	select count(*) into v_count from workouts w where w.user_id = p_user_id;
	if v_u.current_archetype_id is not null then
		select * into v_a from archetypes a
		 where a.id = v_u.current_archetype_id;
	end if;
	if v_a.id is null then
		return json_build_object(
			'archetype', null,
			'level', v_u.current_level,
			'levelName', null,
			'totalTu', v_tu::double precision,
			'tuToNextLevel', null,
			'nextLevelTu', null,
			'progressPercent', 0,
			'totalWorkouts', v_count,
			'streak', journey_streak(p_user_id));
	end if;
	v_l := journey_level_at(v_a.id, v_tu);
	select min(l.total_tu) into v_next
	  from archetype_levels l
	 where l.archetype_id = v_a.id
	   and l.level > coalesce(v_l.level, 0);
	return json_build_object(
		'archetype', json_build_object('id', v_a.id, 'name', v_a.name),
		'level', coalesce(v_l.level, 1),
		'levelName', v_l.name,
		'totalTu', v_tu::double precision,
		'tuToNextLevel', case when v_next is null then 0
		    else round(v_next - v_tu, 2)::double precision end,
		'nextLevelTu', v_next,
		'progressPercent', case
		    when v_next is null then 100
		    when v_next <= 0 then 100
		    else least(100, floor(100 * v_tu / v_next))::integer end,
		'totalWorkouts', v_count,
		'streak', journey_streak(p_user_id));
end;
$$;

-- The muscle groups an archetype focus tag stands for. Focus areas are
-- free tags ("legs", "grip", "olympic-lifts"), not muscle ids: a tag that
-- names a muscle group or a muscle id maps to that group; the others come
-- from the table below; "full-body" means every group; tags about
-- qualities rather than muscles ("cardio", "mobility") map to none.
create or replace function journey_focus_groups(p_tag text)
returns setof text
language sql
stable
as $$
	select distinct g from (
		select m.muscle_group as g
		  from muscles m
		 where lower(m.muscle_group) = lower(p_tag)
		    or m.id = lower(p_tag)
		union all
		select a.g
		  from (values
			('legs', 'Quads'), ('legs', 'Hamstrings'),
			('legs', 'Glutes'), ('legs', 'Calves'),
			('legs', 'Adductors'),
			('hips', 'Glutes'), ('hips', 'Adductors'),
			('biceps', 'Arms'), ('triceps', 'Arms'),
			('forearms', 'Arms'), ('grip', 'Arms'),
			('abs', 'Core'), ('stability', 'Core'),
			('olympic-lifts', 'Quads'), ('olympic-lifts', 'Glutes'),
			('olympic-lifts', 'Hamstrings'),
			('olympic-lifts', 'Back'),
			('olympic-lifts', 'Shoulders')) a(tag, g)
		 where a.tag = lower(p_tag)
		union all
		select m.muscle_group
		  from muscles m
		 where lower(p_tag) = 'full-body'
	) x
$$;

-- GET /api/journey/progress (API §6.6).
--
-- Muscle balance rule (also in the README): each catalog muscle group G
-- has a weekly target, the sum of its muscles' optimal_weekly_volume
-- (read as TU per week), times 1.5 when G is one of the focus areas of the
-- user's archetype. With d = days of the ISO week so far including today
-- (1 on Monday .. 7 on Sunday) and actual = the group's TU this week:
--   overworked   actual > 1.25 x the whole week's target
--   underworked  actual < 0.5 x the target pro-rated to d/7
--   balanced     otherwise.
-- Every group lands in exactly one list; lists are sorted by name.
create or replace function journey_progress(p_user_id text)
returns json
language plpgsql
stable
as $$
declare
	v_today date := (now() at time zone 'UTC')::date;
	v_start date := date_trunc('week', (now() at time zone 'UTC'))::date;
	v_arch  text;
	v_days  integer;
	v_doc   json;
begin
	select u.current_archetype_id into v_arch
	  from users u where u.id = p_user_id;
	v_days := v_today - v_start + 1;
	with week as (
		select w.*
		  from workouts w
		 where w.user_id = p_user_id
		   and w.date between v_start and v_today
	), per_group as (
		select m.muscle_group as g,
		       sum((kv.value #>> '{}')::double precision) as tu
		  from week w
		 cross join lateral jsonb_each(
		       case when jsonb_typeof(w.muscle_activations) = 'object'
		            then w.muscle_activations else '{}'::jsonb end) kv
		  join muscles m on m.id = kv.key
		 where jsonb_typeof(kv.value) = 'number'
		 group by m.muscle_group
	), focus as (
		select distinct f.g
		  from archetypes a
		 cross join lateral jsonb_array_elements_text(
		       case when jsonb_typeof(a.focus_areas) = 'array'
		            then a.focus_areas else '[]'::jsonb end) t(tag)
		 cross join lateral journey_focus_groups(t.tag) f(g)
		 where a.id = v_arch
	), groups as (
		select m.muscle_group as g,
		       sum(coalesce(m.optimal_weekly_volume, 0))::double precision
		       * case when m.muscle_group in (select g from focus)
		              then 1.5 else 1.0 end as target
		  from muscles m
		 group by m.muscle_group
	), judged as (
		select gr.g, coalesce(pg.tu, 0) as tu,
		       case
			when coalesce(pg.tu, 0) > 1.25 * gr.target
				then 'overworked'
			when coalesce(pg.tu, 0) < 0.5 * gr.target * v_days / 7.0
				then 'underworked'
			else 'balanced'
		       end as verdict
		  from groups gr
		  left join per_group pg on pg.g = gr.g
	)
	select json_build_object(
		'weeklyProgress', json_build_object(
			'weekStart', to_char(v_start, 'YYYY-MM-DD'),
			'workouts', (select count(*) from week),
			'totalTu', (select round(coalesce(sum(
				total_tu::double precision), 0)::numeric, 2)
				::double precision from week),
			'muscleActivations', (select coalesce(json_object_agg(
				pg.g, round(pg.tu::numeric, 2)::double precision
				order by pg.g), '{}'::json)
				from per_group pg where pg.tu > 0)),
		'muscleBalance', json_build_object(
			'overworked', (select coalesce(json_agg(g order by g),
				'[]'::json) from judged where verdict = 'overworked'),
			'underworked', (select coalesce(json_agg(g order by g),
				'[]'::json) from judged where verdict = 'underworked'),
			'balanced', (select coalesce(json_agg(g order by g),
				'[]'::json) from judged where verdict = 'balanced')),
		'streak', journey_streak(p_user_id))
	  into v_doc;
	return v_doc;
end;
$$;

-- Level-ups after a committed workout (API §6.5, §4.2 step 5). The
-- workouts binary calls this in its own SERIALIZABLE transaction once the
-- workout has committed. When the level that the user's total TU gives in
-- the chosen archetype is above users.current_level, current_level is
-- raised and one level_up event (visibility public_profile, payload
-- {"archetypeId","level","levelName"}) is written per level reached, in
-- level order. Returns a JSON array of the new events as §7.1 event
-- objects with full identity, for the caller to publish after commit; an
-- empty array when nothing changed (no archetype, no new level, unknown
-- user).
--
-- Exactly once: the user's row is locked before anything is decided, so
-- concurrent calls take turns (under SERIALIZABLE the later one fails with
-- 40001 and its retry sees the raised level) and a second call finds
-- nothing to do. The unique index activity_events_level_up_once backs
-- this up: an event that already exists is not written again.
create or replace function journey_after_workout(p_user_id text)
returns jsonb
language plpgsql
volatile
as $$
declare
	v_u      users%rowtype;
	v_new    archetype_levels%rowtype;
	v_e      activity_events%rowtype;
	v_events jsonb := '[]'::jsonb;
	r        record;
begin
	select * into v_u from users u where u.id = p_user_id for update;
	if not found or v_u.current_archetype_id is null then
		return v_events;
	end if;
	v_new := journey_level_at(v_u.current_archetype_id,
	    journey_total_tu(p_user_id));
	if v_new.level is null or v_new.level <= v_u.current_level then
		return v_events;
	end if;
	for r in
		select l.level, l.name
		  from archetype_levels l
		 where l.archetype_id = v_u.current_archetype_id
		   and l.level > v_u.current_level
		   and l.level <= v_new.level
		 order by l.level
	loop
		insert into activity_events (user_id, event_type, payload,
		    visibility_scope)
		values (p_user_id, 'level_up', jsonb_build_object(
			'archetypeId', v_u.current_archetype_id,
			'level', r.level,
			'levelName', r.name), 'public_profile')
		on conflict (user_id, (payload ->> 'archetypeId'),
		    (payload ->> 'level')) where event_type = 'level_up'
		do nothing
		returning * into v_e;
		if found then
			v_events := v_events || jsonb_build_array(
			    activity_event_json(v_e));
		end if;
	end loop;
	update users u set current_level = v_new.level where u.id = p_user_id;
	return v_events;
end;
$$;

-- Prescriptions (API §6.7, §6.8). The plan is computed in C from the
-- in-memory catalog (lib/prescribe.c); these functions store it, charge
-- for it and read it back. prescriptions.estimated_duration and
-- actual_duration hold seconds: the plan's exact length (Σ sets x
-- (estimatedSeconds + restSeconds) + warm-up + cool-down); the API shows
-- estimatedDuration in minutes, rounded up. No workout reports back how
-- long a prescription really took, so actual_duration starts equal to the
-- plan.

-- The §6.7 document, with "constraints" (§6.8) when asked: one
-- expression, which the planner inlines into its callers.
create or replace function prescription_json(p prescriptions,
    p_with_constraints boolean)
returns json
language sql
stable
as $$
	select case when p_with_constraints then json_build_object(
		'id', p.id,
		'exercises', p.exercises,
		'warmup', coalesce(p.warmup, '[]'::jsonb),
		'cooldown', coalesce(p.cooldown, '[]'::jsonb),
		'substitutions', coalesce(p.substitutions, '{}'::jsonb),
		'muscleCoverage', p.muscle_coverage,
		'estimatedDuration', ceil(p.estimated_duration / 60.0)::integer,
		'creditCost', p.credit_cost,
		'createdAt', to_char(p.created_at at time zone 'UTC',
		    'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
		'constraints', p.constraints)
	else json_build_object(
		'id', p.id,
		'exercises', p.exercises,
		'warmup', coalesce(p.warmup, '[]'::jsonb),
		'cooldown', coalesce(p.cooldown, '[]'::jsonb),
		'substitutions', coalesce(p.substitutions, '{}'::jsonb),
		'muscleCoverage', p.muscle_coverage,
		'estimatedDuration', ceil(p.estimated_duration / 60.0)::integer,
		'creditCost', p.credit_cost,
		'createdAt', to_char(p.created_at at time zone 'UTC',
		    'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) end
$$;

-- The prescription this user already made with this idempotencyKey, or
-- NULL.
create or replace function prescription_replay(p_user_id text, p_key text)
returns json
language plpgsql
stable
as $$
#variable_conflict use_column
begin
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	return (select q.v from (
		select prescription_json(p, false)
		  from prescriptions p
		 where p.user_id = p_user_id
		   and p.idempotency_key = p_key
	) q(v) limit 1);
end;
$$;

-- GET /api/prescription/:id (API §6.8): the owner's only, else MM404.
create or replace function prescription_get(p_user_id text, p_id text)
returns json
language plpgsql
stable
as $$
declare
	v_p prescriptions%rowtype;
begin
	select * into v_p
	  from prescriptions p
	 where p.id = p_id and p.user_id = p_user_id;
	if not found then
		raise exception using errcode = 'MM404',
		    message = 'Prescription not found';
	end if;
	return prescription_json(v_p, true);
end;
$$;

-- Replaced by entitlement_reason() (economy.sql), the one statement of
-- the rule.
drop function if exists prescription_unlimited(text);

-- POST /api/prescription/generate (API §6.7), the part that costs
-- nothing, in one call run in autocommit (READ COMMITTED) by the caller:
-- no credit moves, so no SERIALIZABLE transaction is needed, and
-- concurrent prescriptions of one user do not fail each other.
--
-- 1. Replay: this user already has a prescription with this key: that
--    one is returned.
-- 2. Unlimited users (§5.1): the plan is stored with creditCost 0 and
--    returned.  That commit does not wait for the WAL flush
--    (synchronous_commit off for this transaction only): a stored free
--    plan moves no credit and can be generated again from its request, so
--    a server crash in the next few hundred milliseconds may lose the row
--    (GET /api/prescription/:id then answers 404), while waiting for the
--    disk on every plan is what set this endpoint's tail latency.  Charged
--    prescriptions, like every credit movement, commit synchronously.
-- 3. The free tier: nothing is stored and NULL is returned; the caller
--    then runs prescription_create SERIALIZABLE, which charges.
--
-- Concurrent requests with one key: the later insert waits for the
-- earlier one's transaction and, once it committed, inserts nothing; the
-- next statement sees the winner, which is answered as a replay.
create or replace function prescription_create_free(p_user_id text,
    p_constraints jsonb, p_exercises jsonb, p_warmup jsonb, p_cooldown jsonb,
    p_substitutions jsonb, p_coverage jsonb, p_seconds integer,
    p_key text)
returns json
language plpgsql
volatile
as $$
declare
	v_p prescriptions%rowtype;
begin
	-- A winner deleted before it could be read: try again, a few times.
	for v_try in 1 .. 3 loop
		if p_key is not null then
			select * into v_p
			  from prescriptions p
			 where p.user_id = p_user_id and p.idempotency_key = p_key;
			if found then
				return prescription_json(v_p, false);
			end if;
		end if;
		if not exists (select 1 from users u where u.id = p_user_id) then
			raise exception using errcode = 'MM401',
			    message = 'Your account no longer exists';
		end if;
		if entitlement_reason(p_user_id) is null then
			return null;
		end if;

		-- Local to this transaction, so its commit (see 2. above).
		perform set_config('synchronous_commit', 'off', true);
		insert into prescriptions (id, user_id, constraints, exercises,
		    warmup, cooldown, substitutions, muscle_coverage,
		    estimated_duration, actual_duration, credit_cost,
		    idempotency_key)
		values (mm_id('rx'), p_user_id, p_constraints, p_exercises,
		    p_warmup, p_cooldown, p_substitutions, p_coverage, p_seconds,
		    p_seconds, 0, p_key)
		on conflict on constraint prescriptions_user_id_idempotency_key_key
		do nothing
		returning * into v_p;
		if found then
			return prescription_json(v_p, false);
		end if;
	end loop;
	raise exception 'prescription key % of % used concurrently, retry',
	    p_key, p_user_id using errcode = 'serialization_failure';
end;
$$;

-- POST /api/prescription/generate (API §6.7): stores the plan and charges
-- for it in one transaction, run SERIALIZABLE by the caller and retried on
-- serialization failure.
--
-- 1. Replay: this user already has a prescription with this key: that
--    one is returned; nothing is stored or charged.
-- 2. Entitlements (§5.1): unlimited users pay 0; the free tier pays the
--    prescription credit action's cost (1) through update_credit_balance
--    (action prescription, metadata {"prescriptionId"}, key
--    '<userId>:prescription:<client key or prescription id>'). Not enough
--    credits: MM402 and nothing is stored.
--
-- Concurrent requests with one key: the later insert waits on the unique
-- (user_id, idempotency_key) entry and then fails; that is raised as a
-- serialization failure so that the retry takes the replay path.
create or replace function prescription_create(p_user_id text, p_constraints jsonb,
    p_exercises jsonb, p_warmup jsonb, p_cooldown jsonb,
    p_substitutions jsonb, p_coverage jsonb, p_seconds integer,
    p_key text)
returns json
language plpgsql
volatile
as $$
declare
	v_p      prescriptions%rowtype;
	v_id     text := mm_id('rx');
	v_cost   integer := 0;
	v_charge record;
begin
	if p_key is not null then
		select * into v_p
		  from prescriptions p
		 where p.user_id = p_user_id and p.idempotency_key = p_key;
		if found then
			return prescription_json(v_p, false);
		end if;
	end if;
	if not exists (select 1 from users u where u.id = p_user_id) then
		raise exception using errcode = 'MM401',
		    message = 'Your account no longer exists';
	end if;
	if entitlement_reason(p_user_id) is null then
		v_cost := coalesce((select a.default_cost from credit_actions a
		                     where a.id = 'prescription'), 1);
	end if;

	-- ON CONFLICT rather than an exception block, which would cost a
	-- subtransaction on every call.
	insert into prescriptions (id, user_id, constraints, exercises,
	    warmup, cooldown, substitutions, muscle_coverage,
	    estimated_duration, actual_duration, credit_cost,
	    idempotency_key)
	values (v_id, p_user_id, p_constraints, p_exercises, p_warmup,
	    p_cooldown, p_substitutions, p_coverage, p_seconds,
	    p_seconds, v_cost, p_key)
	on conflict on constraint prescriptions_user_id_idempotency_key_key
	do nothing
	returning * into v_p;
	if not found then
		raise exception 'prescription key % of % used concurrently, retry',
		    p_key, p_user_id using errcode = 'serialization_failure';
	end if;

	if v_cost > 0 then
		select * into v_charge
		  from update_credit_balance(p_user_id, -v_cost, 'prescription',
		      jsonb_build_object('prescriptionId', v_id),
		      p_user_id || ':prescription:' || coalesce(p_key, v_id));
		if not v_charge.success then
			if v_charge.error_message = 'insufficient_credits' then
				raise exception using errcode = 'MM402',
				    message = format(
				        'You need %s credits but only have %s',
				        v_cost, coalesce(v_charge.new_balance, 0));
			end if;
			raise exception 'prescription charge failed: %',
			    v_charge.error_message;
		end if;
		if v_charge.existing then
			-- The key was spent by a prescription that no longer exists.
			raise exception using errcode = 'MM409',
			    message = 'This idempotencyKey was already used';
		end if;
	end if;
	return prescription_json(v_p, false);
end;
$$;
