-- Community (API §7): the activity feed and its events, presence fallback,
-- stats, leaderboard, high-fives, competitions and groups.
--
-- Every function builds the contract's JSON itself. Business errors are
-- raised with SQLSTATE MMnnn and a message for users (lib/db.c maps them).
-- Writes that move credits or must be race-free are called by the binary
-- in their own SERIALIZABLE transaction (db_exec DB_SERIALIZABLE, retried);
-- group and competition writes also lock their group/competition row
-- FOR UPDATE first, so that requests on one of them run one after another.

-- ---------------------------------------------------------------- events

-- Event objects and creation live in activity.sql.


-- 1 when a and b block each other in either direction.
create or replace function users_blocked(a text, b text)
returns boolean
language plpgsql
stable
as $$
#variable_conflict use_column
begin
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	return (select q.v from (
		select a is not null and b is not null and (
		    exists (select 1 from user_blocks k
			     where k.blocker_id = a and k.blocked_id = b)
		 or exists (select 1 from user_blocks k
			     where k.blocker_id = b and k.blocked_id = a))
	) q(v) limit 1);
end;
$$;

-- Whether p_user may see an event of this scope and owner in the feed.
create or replace function activity_event_visible(p_scope text,
	p_owner text, p_user text)
returns boolean
language sql
stable
as $$
	select case
		when p_scope = 'public_anon' then
			p_user is null or not users_blocked(p_user, p_owner)
		when p_scope = 'public_profile' then
			p_user is not null and not users_blocked(p_user, p_owner)
		else p_user is not null and p_owner = p_user
	end
$$;

-- GET /api/community/feed (API §7.1, §1.8). p_user null = anonymous.
-- Keyset pagination on (created_at, id), newest first; see migration 0060
-- for the indexes each branch reads.
create or replace function community_feed(p_user text, p_before text,
	p_limit integer)
returns json
language plpgsql
stable
-- The generic plan of each page query is the right one (ordered index
-- scans stopped by the limit), but its estimated cost with an unknown
-- limit is high, so the plan cache would re-plan every call (about 1 ms):
-- keep the generic plan.
set plan_cache_mode = force_generic_plan
as $$
declare
	v_ts     timestamptz := 'infinity';
	v_id     text := '';
	v_events json;
	v_next   text;
	v_last   text;
	v_n      bigint;
	v_scope  text;
	v_owner  text;
begin
	if p_limit is null or p_limit < 1 or p_limit > 100 then
		raise exception using errcode = 'MM400',
		    message = 'limit must be an integer from 1 to 100';
	end if;
	if p_before is not null then
		select e.created_at, e.id, e.visibility_scope, e.user_id
		  into v_ts, v_id, v_scope, v_owner
		  from activity_events e where e.id = p_before;
		if not found or not activity_event_visible(v_scope, v_owner,
		    p_user) then
			raise exception using errcode = 'MM400',
			    message = 'before is not the id of an event in this feed';
		end if;
	end if;

	if p_user is null then
		select coalesce(json_agg(activity_event_obj(x.id, x.event_type,
			   x.user_id, null, null, x.payload, x.visibility_scope,
			   x.created_at, true) order by x.created_at desc, x.id desc)
			   filter (where x.rn <= p_limit), '[]'::json),
		       max(x.id) filter (where x.rn = p_limit), count(*)
		  into v_events, v_last, v_n
		  from (select a.*, row_number() over (order by a.created_at desc,
			   a.id desc) as rn
			  from (select *
				  from activity_events a
				 where a.visibility_scope = 'public_anon'
				   and (a.created_at, a.id) < (v_ts, v_id)
				 order by a.created_at desc, a.id desc
				 limit p_limit + 1) a) x;
	else
		select coalesce(json_agg(activity_event_obj(x.id, x.event_type,
			   x.user_id, u.username, u.display_name, x.payload,
			   x.visibility_scope, x.created_at, false)
			   order by x.created_at desc, x.id desc)
			   filter (where x.rn <= p_limit), '[]'::json),
		       max(x.id) filter (where x.rn = p_limit), count(*)
		  into v_events, v_last, v_n
		  from (select b.*, row_number() over (order by b.created_at desc,
			   b.id desc) as rn
			  from ((select *
				   from activity_events a
				  where a.visibility_scope <> 'private'
				    and (a.created_at, a.id) < (v_ts, v_id)
				    and not exists (select 1 from user_blocks k
					 where k.blocker_id = p_user
					   and k.blocked_id = a.user_id)
				    and not exists (select 1 from user_blocks k
					 where k.blocker_id = a.user_id
					   and k.blocked_id = p_user)
				  order by a.created_at desc, a.id desc
				  limit p_limit + 1)
				union all
				(select *
				   from activity_events a
				  where a.visibility_scope = 'private'
				    and a.user_id = p_user
				    and (a.created_at, a.id) < (v_ts, v_id)
				  order by a.created_at desc, a.id desc
				  limit p_limit + 1)
				order by created_at desc, id desc
				limit p_limit + 1) b) x
		  left join lateral (select u.username, u.display_name
				       from users u where u.id = x.user_id
				      limit 1) u on true;
	end if;
	if v_n > p_limit then
		v_next := v_last;
	end if;
	return json_build_object('events', coalesce(v_events, '[]'::json),
	    'nextCursor', v_next);
end;
$$;

-- The latest events of every scope with identity, for moderators.
create or replace function community_recent_events(p_limit integer)
returns json
language plpgsql
stable
as $$
#variable_conflict use_column
begin
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	return (select q.v from (
		select coalesce(json_agg(activity_event_json(e, u.username,
			   u.display_name, false) order by e.created_at desc, e.id desc),
			   '[]'::json)
		  from activity_events e
		  left join users u on u.id = e.user_id
		 where e.id in (select a.id from activity_events a
				 order by a.created_at desc, a.id desc
				 limit least(greatest(p_limit, 1), 100))
	) q(v) limit 1);
end;
$$;

-- ---------------------------------------------------------------- real time

-- Users whose live stream is filtered (lib/realtime.h): those with any
-- block relation.  For an event of p_owner, the ones that may see it: not
-- blocked with the owner (users_blocked(), as one anti-join rather than a
-- call per user).
create or replace function realtime_filtered_recipients(p_owner text)
returns table (user_id text)
language sql
stable
as $$
	select x.u
	  from (select k.blocker_id as u from user_blocks k
		union
		select k.blocked_id from user_blocks k) x
	 where not exists (select 1 from user_blocks k
			    where k.blocker_id = p_owner and k.blocked_id = x.u)
	   and not exists (select 1 from user_blocks k
			    where k.blocker_id = x.u and k.blocked_id = p_owner)
$$;

-- Whether p_user's stream must be filtered (any block, either direction).
create or replace function realtime_user_filtered(p_user text)
returns boolean
language plpgsql
stable
as $$
#variable_conflict use_column
begin
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	return (select q.v from (
		select exists (select 1 from user_blocks k where k.blocker_id = p_user)
		    or exists (select 1 from user_blocks k where k.blocked_id = p_user)
	) q(v) limit 1);
end;
$$;

-- ---------------------------------------------------------------- presence

-- The PostgreSQL fallback of the heartbeat (API §7.2), used when Redis is
-- disabled or down: one row per user, present for 120 s after last_seen.
create or replace function presence_beat(p_user text, p_geo text,
	p_stage text)
returns void
language sql
volatile
as $$
	insert into presence (user_id, geo_bucket, stage_id, last_seen)
	values (p_user, p_geo, p_stage, now())
	on conflict (user_id) do update
	   set geo_bucket = excluded.geo_bucket,
	       stage_id = excluded.stage_id,
	       last_seen = excluded.last_seen
$$;

-- {"total","byGeoBucket":[{"geoBucket","count"}]} of present users.
create or replace function presence_summary()
returns json
language plpgsql
stable
as $$
#variable_conflict use_column
begin
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	return (select q.v from (
		with live as (
			select p.user_id, p.geo_bucket
			  from presence p
			 where p.last_seen > now() - interval '120 seconds'
		), buckets as (
			select l.geo_bucket, count(*) as n
			  from live l
			 where l.geo_bucket is not null
			 group by l.geo_bucket
		)
		select json_build_object(
			'total', (select count(*) from live),
			'byGeoBucket', coalesce((select json_agg(json_build_object(
				'geoBucket', b.geo_bucket, 'count', b.n)
				order by b.n desc, b.geo_bucket) from buckets b),
				'[]'::json))
	) q(v) limit 1);
end;
$$;

-- ---------------------------------------------------------------- stats

create or replace function community_stats(p_active integer)
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
			'activeNow', p_active,
			'totalUsers', (select count(*) from users),
			'workoutsToday', (select count(*) from workouts w
				where w.date = (now() at time zone 'UTC')::date))
	) q(v) limit 1);
end;
$$;

-- Selections = exercise entries of workouts logged in the last 30 minutes.
create or replace function community_stats_public(p_active integer)
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
			'activeNow', p_active,
			'workoutsToday', (select count(*) from workouts w
				where w.date = (now() at time zone 'UTC')::date),
			'workoutsThisWeek', (select count(*) from workouts w
				where w.date > (now() at time zone 'UTC')::date - 7
				  and w.date <= (now() at time zone 'UTC')::date),
			'topExercises', coalesce((
				select json_agg(json_build_object('exerciseId', t.ex,
				    'count', t.n) order by t.n desc, t.ex)
				  from (select x->>'exerciseId' as ex, count(*) as n
					  from workouts w,
					       jsonb_array_elements(case when
						   jsonb_typeof(w.exercise_data) = 'array'
						   then w.exercise_data else '[]'::jsonb
						   end) x
					 where w.created_at > now() - interval '30 minutes'
					   and x->>'exerciseId' is not null
					 group by 1
					 order by 2 desc, 1
					 limit 10) t), '[]'::json))
	) q(v) limit 1);
end;
$$;

-- floor(100 x share of users whose total TU <= the caller's).
create or replace function community_percentile(p_user text)
returns json
language plpgsql
stable
as $$
#variable_conflict use_column
begin
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	return (select q.v from (
		with totals as (
			select u.id, coalesce(sum(w.total_tu::double precision), 0) as tu
			  from users u
			  left join workouts w on w.user_id = u.id
			 group by u.id
		)
		select json_build_object('percentile', coalesce(floor(100.0 *
			count(*) filter (where t.tu <= (select tu from totals
						       where id = p_user))
			/ nullif(count(*), 0))::integer, 0))
		  from totals t
	) q(v) limit 1);
end;
$$;

-- ---------------------------------------------------------------- leaderboard

-- Rebuilds leaderboard_snapshot from the leaderboard view.  Called by cron
-- every minute and by the read path when the snapshot is older than a
-- minute; concurrent callers skip (the advisory lock) rather than queue.
-- Returns true when it refreshed.
create or replace function leaderboard_refresh()
returns boolean
language plpgsql
volatile
as $$
begin
	if not pg_try_advisory_xact_lock(hashtext('leaderboard_refresh')) then
		return false;
	end if;
	refresh materialized view concurrently leaderboard_snapshot;
	update leaderboard_meta set refreshed_at = now() where id = 1;
	return true;
end;
$$;

-- GET /api/progression/leaderboard (API §7.4).  Served from the snapshot;
-- at most a minute old (refreshed here when older).  A user banned since
-- the last refresh is left out at once.
create or replace function community_leaderboard(p_limit integer)
returns json
language plpgsql
volatile
as $$
declare
	v_at timestamptz;
	v    json;
begin
	select refreshed_at into v_at from leaderboard_meta where id = 1;
	if v_at is null or v_at < now() - interval '60 seconds' then
		perform leaderboard_refresh();
	end if;
	select coalesce(json_agg(json_build_object(
		'rank', l.rank,
		'userId', l.user_id,
		'username', u.username,
		'displayName', u.display_name,
		'avatarUrl', u.avatar_url,
		'archetypeId', u.current_archetype_id,
		'level', u.current_level,
		'totalTu', l.total_tu,
		'workoutCount', l.workout_count) order by l.rank, l.user_id),
		'[]'::json)
	  into v
	  from (select s.* from leaderboard_snapshot s
		  join users bu on bu.id = s.user_id
		 where (bu.flags ->> 'banned') is distinct from 'true'
		 order by s.rank, s.user_id
		 limit least(greatest(p_limit, 1), 100)) l
	  join users u on u.id = l.user_id;
	return json_build_object('leaderboard', v);
end;
$$;

-- ---------------------------------------------------------------- high-fives

-- POST /api/highfives/send (API §7.5).  Returns the high_five event object
-- (full identity) for the caller to publish after commit.  Run SERIALIZABLE:
-- the daily count and the insert cannot race.
create or replace function highfive_send(p_sender text, p_recipient text,
	p_reason text)
returns json
language plpgsql
volatile
as $$
declare
	v_name text;
	v_n    integer;
begin
	if p_sender = p_recipient then
		raise exception using errcode = 'MM400',
		    message = 'You cannot high-five yourself';
	end if;
	select u.username into v_name from users u where u.id = p_recipient;
	if not found then
		raise exception using errcode = 'MM404',
		    message = 'Recipient not found';
	end if;
	if users_blocked(p_sender, p_recipient) then
		raise exception using errcode = 'MM403',
		    message = 'You cannot high-five this user';
	end if;
	select count(*) into v_n
	  from high_fives h
	 where h.sender_id = p_sender
	   and h.created_at >= date_trunc('day', now() at time zone 'UTC')
		   at time zone 'UTC';
	if v_n >= 100 then
		raise exception using errcode = 'MM429',
		    message = 'You can send at most 100 high-fives per day';
	end if;
	insert into high_fives (sender_id, recipient_id, reason)
	values (p_sender, p_recipient, p_reason);
	return activity_event_create(p_sender, 'high_five',
	    jsonb_build_object('recipientId', p_recipient,
		'recipientUsername', v_name, 'reason', p_reason),
	    'public_profile');
end;
$$;

create or replace function highfive_stats(p_user text)
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
			'sent', (select count(*) from high_fives h
				  where h.sender_id = p_user),
			'received', (select count(*) from high_fives h
				      where h.recipient_id = p_user))
	) q(v) limit 1);
end;
$$;

create or replace function highfive_users(p_user text)
returns json
language plpgsql
stable
as $$
#variable_conflict use_column
begin
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	return (select q.v from (
		select json_build_object('users', coalesce(json_agg(json_build_object(
			'userId', t.sender_id,
			'username', u.username,
			'displayName', u.display_name,
			'avatarUrl', u.avatar_url,
			'count', t.n,
			'lastAt', iso_ts(t.last_at)) order by t.last_at desc,
			t.sender_id), '[]'::json))
		  from (select h.sender_id, count(*) as n, max(h.created_at) as last_at
			  from high_fives h
			 where h.recipient_id = p_user
			 group by h.sender_id
			 order by max(h.created_at) desc
			 limit 50) t
		  join users u on u.id = t.sender_id
	) q(v) limit 1);
end;
$$;

-- ---------------------------------------------------------------- competitions

-- Status derived from the dates (API §7.6): canceled stays canceled;
-- otherwise draft before startDate, active until endDate, then completed.
create or replace function competition_status(c competitions)
returns text
language sql
stable
as $$
	select case
		when c.status = 'canceled' then 'canceled'
		when now() > c.end_date then 'completed'
		when now() >= c.start_date then 'active'
		else 'draft'
	end
$$;

create or replace function competition_json(c competitions)
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
			'id', c.id,
			'name', c.name,
			'description', c.description,
			'creatorId', c.creator_id,
			'type', c.type,
			'status', competition_status(c),
			'startDate', iso_ts(c.start_date),
			'endDate', iso_ts(c.end_date),
			'maxParticipants', c.max_participants,
			'entryFee', c.entry_fee,
			'prizePool', c.prize_pool,
			'rules', c.rules,
			'isPublic', c.is_public,
			'participantCount', (select count(*)
				from competition_participants p
			       where p.competition_id = c.id),
			'createdAt', iso_ts(c.created_at))
	) q(v) limit 1);
end;
$$;

create or replace function competition_visible(c competitions, p_user text)
returns boolean
language plpgsql
stable
as $$
#variable_conflict use_column
begin
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	return (select q.v from (
		select c.is_public or (p_user is not null and (c.creator_id = p_user
		    or exists (select 1 from competition_participants p
				where p.competition_id = c.id and p.user_id = p_user)))
	) q(v) limit 1);
end;
$$;

-- Scores by type over the workouts dated in the competition window (UTC
-- dates): total_tu = sum of TU, workouts = count, streak = longest run of
-- consecutive days, custom = the stored score.  RANK() by score.
create or replace function competition_scores(c competitions)
returns table (user_id text, score double precision, rank bigint,
	joined_at timestamptz)
language sql
stable
as $$
	with win as (
		select (c.start_date at time zone 'UTC')::date as d0,
		       (c.end_date at time zone 'UTC')::date as d1
	), per as (
		select p.user_id, p.joined_at,
		       case c.type
		       when 'total_tu' then (select round(coalesce(sum(
			       w.total_tu::double precision), 0)::numeric, 2)
			       from workouts w, win
			      where w.user_id = p.user_id
				and w.date between win.d0 and win.d1)::double precision
		       when 'workouts' then (select count(*)
			       from workouts w, win
			      where w.user_id = p.user_id
				and w.date between win.d0 and win.d1)::double precision
		       when 'streak' then (select coalesce(max(n), 0)
			       from (select count(*) as n
				       from (select d, d - (row_number() over
						    (order by d))::integer as g
					       from (select distinct w.date as d
						       from workouts w, win
						      where w.user_id = p.user_id
							and w.date between win.d0
							    and win.d1) dd) gg
				      group by g) runs)::double precision
		       else p.score::double precision
		       end as score
		  from competition_participants p
		 where p.competition_id = c.id
	)
	select per.user_id, per.score,
	       rank() over (order by per.score desc), per.joined_at
	  from per
$$;

create or replace function competition_list(p_user text)
returns json
language plpgsql
stable
as $$
#variable_conflict use_column
begin
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	return (select q.v from (
		select json_build_object('competitions', coalesce(json_agg(
			competition_json(c) order by c.start_date desc, c.id), '[]'::json))
		  from competitions c
		 where c.id in (select x.id from competitions x
			 where (x.is_public and x.status <> 'canceled')
			    or (p_user is not null and (x.creator_id = p_user
				or exists (select 1 from competition_participants p
					    where p.competition_id = x.id
					      and p.user_id = p_user)))
			 order by x.start_date desc, x.id
			 limit 50)
	) q(v) limit 1);
end;
$$;

create or replace function competition_get(p_id text, p_user text)
returns json
language plpgsql
stable
as $$
declare
	c competitions;
	v jsonb;
begin
	select * into c from competitions where id = p_id;
	if not found or not competition_visible(c, p_user) then
		raise exception using errcode = 'MM404',
		    message = 'Competition not found';
	end if;
	v := competition_json(c)::jsonb || jsonb_build_object('participants',
	    coalesce((select jsonb_agg(jsonb_build_object(
		'userId', s.user_id,
		'username', u.username,
		'displayName', u.display_name,
		'score', s.score,
		'rank', s.rank,
		'joinedAt', iso_ts(s.joined_at)) order by s.rank, s.joined_at,
		s.user_id)
		from competition_scores(c) s
		join users u on u.id = s.user_id), '[]'::jsonb));
	return v::json;
end;
$$;

create or replace function competition_standings(p_id text, p_user text)
returns json
language plpgsql
stable
as $$
declare
	c competitions;
begin
	select * into c from competitions where id = p_id;
	if not found or not competition_visible(c, p_user) then
		raise exception using errcode = 'MM404',
		    message = 'Competition not found';
	end if;
	return json_build_object('competitionId', c.id, 'standings',
	    coalesce((select json_agg(json_build_object(
		'rank', s.rank,
		'userId', s.user_id,
		'username', u.username,
		'displayName', u.display_name,
		'score', s.score) order by s.rank, s.joined_at, s.user_id)
		from competition_scores(c) s
		join users u on u.id = s.user_id), '[]'::json));
end;
$$;

create or replace function competition_create(p_user text, p_name text,
	p_description text, p_type text, p_start text, p_end text,
	p_max integer, p_fee integer, p_rules jsonb, p_public boolean)
returns json
language plpgsql
volatile
as $$
declare
	v_start timestamptz;
	v_end   timestamptz;
	c       competitions;
begin
	begin
		v_start := p_start::timestamptz;
		v_end := p_end::timestamptz;
	exception when others then
		raise exception using errcode = 'MM400',
		    message = 'startDate and endDate must be ISO 8601 timestamps';
	end;
	if v_start is null or v_end is null or not isfinite(v_start)
	    or not isfinite(v_end) then
		raise exception using errcode = 'MM400',
		    message = 'startDate and endDate must be ISO 8601 timestamps';
	end if;
	if v_end <= v_start then
		raise exception using errcode = 'MM400',
		    message = 'endDate must be after startDate';
	end if;
	insert into competitions (name, description, creator_id, type, status,
	    start_date, end_date, max_participants, entry_fee, prize_pool,
	    rules, is_public)
	values (p_name, p_description, p_user, p_type,
	    case when v_start > now() then 'draft' else 'active' end,
	    v_start, v_end, p_max, coalesce(p_fee, 0), 0, p_rules,
	    coalesce(p_public, true))
	returning * into c;
	return competition_json(c);
end;
$$;

-- Refunds one participant's paid fee exactly once (ledger key per join).
create or replace function competition_refund_one(c competitions,
	p_user text)
returns integer
language plpgsql
volatile
as $$
declare
	v_paid  integer;
	v_joins integer;
	r       record;
begin
	select p.entry_fee_paid into v_paid
	  from competition_participants p
	 where p.competition_id = c.id and p.user_id = p_user;
	if coalesce(v_paid, 0) <= 0 then
		return 0;
	end if;
	select e.joins into v_joins from competition_entries e
	 where e.competition_id = c.id and e.user_id = p_user;
	select * into r from update_credit_balance(p_user, v_paid,
	    'competition_refund', jsonb_build_object('competitionId', c.id),
	    p_user || ':competition_refund:' || c.id || ':'
	    || coalesce(v_joins, 0));
	if not r.success then
		raise exception 'competition refund failed: %', r.error_message;
	end if;
	update competition_participants p set entry_fee_paid = 0
	 where p.competition_id = c.id and p.user_id = p_user;
	update competitions set prize_pool = greatest(prize_pool - v_paid, 0)
	 where id = c.id;
	return case when r.existing then 0 else v_paid end;
end;
$$;

create or replace function competition_join(p_id text, p_user text)
returns json
language plpgsql
volatile
as $$
declare
	c       competitions;
	v_st    text;
	v_joins integer;
	r       record;
begin
	select * into c from competitions where id = p_id for update;
	if not found or not competition_visible(c, p_user) then
		raise exception using errcode = 'MM404',
		    message = 'Competition not found';
	end if;
	if exists (select 1 from competition_participants p
		    where p.competition_id = c.id and p.user_id = p_user) then
		return json_build_object('success', true, 'competitionId', c.id,
		    'entryFeeCharged', 0, 'alreadyJoined', true);
	end if;
	v_st := competition_status(c);
	if v_st in ('completed', 'canceled') then
		raise exception using errcode = 'MM409',
		    message = 'This competition is ' || v_st;
	end if;
	if c.max_participants is not null and (select count(*)
	    from competition_participants p
	    where p.competition_id = c.id) >= c.max_participants then
		raise exception using errcode = 'MM409',
		    message = 'This competition is full';
	end if;
	insert into competition_entries (competition_id, user_id, joins)
	values (c.id, p_user, 1)
	on conflict (competition_id, user_id)
	do update set joins = competition_entries.joins + 1
	returning joins into v_joins;
	if c.entry_fee > 0 then
		select * into r from update_credit_balance(p_user, -c.entry_fee,
		    'competition_entry', jsonb_build_object('competitionId', c.id),
		    p_user || ':competition_entry:' || c.id || ':' || v_joins);
		if not r.success then
			if r.error_message = 'insufficient_credits' then
				raise exception using errcode = 'MM402',
				    message = format('You need %s credits but only have %s',
					c.entry_fee, coalesce(r.new_balance, 0));
			end if;
			raise exception 'competition entry failed: %',
			    r.error_message;
		end if;
	end if;
	insert into competition_participants (competition_id, user_id,
	    entry_fee_paid)
	values (c.id, p_user, c.entry_fee);
	update competitions
	   set prize_pool = prize_pool + c.entry_fee, status = v_st
	 where id = c.id;
	return json_build_object('success', true, 'competitionId', c.id,
	    'entryFeeCharged', c.entry_fee, 'alreadyJoined', false);
end;
$$;

create or replace function competition_leave(p_id text, p_user text)
returns json
language plpgsql
volatile
as $$
declare
	c      competitions;
	v_back integer;
begin
	select * into c from competitions where id = p_id for update;
	if not found or not competition_visible(c, p_user) then
		raise exception using errcode = 'MM404',
		    message = 'Competition not found';
	end if;
	if not exists (select 1 from competition_participants p
			where p.competition_id = c.id and p.user_id = p_user) then
		raise exception using errcode = 'MM404',
		    message = 'You are not a participant of this competition';
	end if;
	if competition_status(c) <> 'draft' then
		raise exception using errcode = 'MM409',
		    message = 'You can only leave a competition before it starts';
	end if;
	v_back := competition_refund_one(c, p_user);
	delete from competition_participants p
	 where p.competition_id = c.id and p.user_id = p_user;
	return json_build_object('success', true, 'refunded', v_back);
end;
$$;

create or replace function competition_cancel(p_id text, p_user text)
returns json
language plpgsql
volatile
as $$
declare
	c      competitions;
	v_st   text;
	v_sum  integer := 0;
	p      record;
begin
	select * into c from competitions where id = p_id for update;
	if not found or not competition_visible(c, p_user) then
		raise exception using errcode = 'MM404',
		    message = 'Competition not found';
	end if;
	if c.creator_id <> p_user and not exists (select 1 from users u
	    where u.id = p_user and u.roles ? 'admin') then
		raise exception using errcode = 'MM403',
		    message = 'Only the creator or an admin can cancel a competition';
	end if;
	v_st := competition_status(c);
	if v_st = 'canceled' then
		return json_build_object('success', true, 'status', 'canceled',
		    'refunded', 0);
	end if;
	if v_st = 'completed' then
		raise exception using errcode = 'MM409',
		    message = 'This competition is already completed';
	end if;
	for p in select cp.user_id from competition_participants cp
		  where cp.competition_id = c.id and cp.entry_fee_paid > 0
		  order by cp.user_id loop
		v_sum := v_sum + competition_refund_one(c, p.user_id);
	end loop;
	update competitions set status = 'canceled' where id = c.id;
	return json_build_object('success', true, 'status', 'canceled',
	    'refunded', v_sum);
end;
$$;

-- ---------------------------------------------------------------- groups

create or replace function group_role_rank(p_role text)
returns integer
language sql
immutable
as $$
	select case p_role when 'owner' then 4 when 'admin' then 3
		when 'moderator' then 2 when 'member' then 1 else 0 end
$$;

create or replace function group_json(g groups, p_user text)
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
			'id', g.id,
			'name', g.name,
			'description', g.description,
			'avatarUrl', g.avatar_url,
			'ownerId', g.owner_id,
			'settings', g.settings,
			'memberCount', (select count(*) from group_memberships m
					 where m.group_id = g.id),
			'myRole', (select m.role from group_memberships m
				    where m.group_id = g.id and m.user_id = p_user),
			'createdAt', iso_ts(g.created_at),
			'updatedAt', iso_ts(g.updated_at))
	) q(v) limit 1);
end;
$$;

create or replace function group_is_private(g groups)
returns boolean
language sql
immutable
as $$
	select (g.settings ->> 'visibility') = 'private'
$$;

-- Locks the group row (serializing every write on one group) and returns
-- it with the caller's role ('' when not a member).  A private group the
-- caller is not a member of is reported as not found.
create or replace function group_lock(p_id text, p_user text,
	out g groups, out my_role text)
language plpgsql
volatile
as $$
begin
	select * into g from groups where id = p_id for update;
	if not found then
		raise exception using errcode = 'MM404',
		    message = 'Group not found';
	end if;
	select m.role into my_role from group_memberships m
	 where m.group_id = p_id and m.user_id = p_user;
	my_role := coalesce(my_role, '');
	if my_role = '' and group_is_private(g) then
		raise exception using errcode = 'MM404',
		    message = 'Group not found';
	end if;
end;
$$;

create or replace function group_create(p_user text, p_name text,
	p_description text, p_avatar text, p_settings jsonb)
returns json
language plpgsql
volatile
as $$
declare
	g groups;
begin
	insert into groups (name, description, avatar_url, owner_id, settings)
	values (p_name, p_description, p_avatar, p_user,
	    coalesce(p_settings, '{}'::jsonb))
	returning * into g;
	insert into group_memberships (group_id, user_id, role)
	values (g.id, p_user, 'owner');
	return group_json(g, p_user);
end;
$$;

create or replace function group_list(p_user text, p_mine boolean,
	p_search text, p_limit integer, p_offset integer)
returns json
language plpgsql
stable
as $$
#variable_conflict use_column
begin
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	return (select q.v from (
		with vis as (
			select g.*
			  from groups g
			 where ((g.settings ->> 'visibility') is distinct from 'private'
				or exists (select 1 from group_memberships m
					    where m.group_id = g.id
					      and m.user_id = p_user))
			   and (not coalesce(p_mine, false)
				or exists (select 1 from group_memberships m
					    where m.group_id = g.id
					      and m.user_id = p_user))
			   and (p_search is null or p_search = ''
				or strpos(lower(g.name), lower(p_search)) > 0)
		)
		select json_build_object(
			'groups', coalesce((select json_agg(group_json(p, p_user)
				order by p.created_at desc, p.id)
				from groups p
			       where p.id in (select v.id from vis v
					       order by v.created_at desc, v.id
					       limit p_limit offset p_offset)),
				'[]'::json),
			'total', (select count(*) from vis),
			'limit', p_limit,
			'offset', p_offset)
	) q(v) limit 1);
end;
$$;

create or replace function group_get(p_id text, p_user text)
returns json
language plpgsql
stable
as $$
declare
	g groups;
begin
	select * into g from groups where id = p_id;
	if not found or (group_is_private(g) and not exists (select 1
	    from group_memberships m
	    where m.group_id = p_id and m.user_id = p_user)) then
		raise exception using errcode = 'MM404',
		    message = 'Group not found';
	end if;
	return group_json(g, p_user);
end;
$$;

-- PATCH: p_patch holds only the fields sent (validated by the binary);
-- settings are merged key by key.
create or replace function group_update(p_id text, p_user text,
	p_patch jsonb)
returns json
language plpgsql
volatile
as $$
declare
	l record;
	g groups;
begin
	select * into l from group_lock(p_id, p_user);
	if group_role_rank(l.my_role) < 3 then
		raise exception using errcode = 'MM403',
		    message = 'Only an admin or the owner can change the group';
	end if;
	update groups x
	   set name = case when p_patch ? 'name' then p_patch ->> 'name'
			   else x.name end,
	       description = case when p_patch ? 'description'
			   then p_patch ->> 'description' else x.description end,
	       avatar_url = case when p_patch ? 'avatarUrl'
			   then p_patch ->> 'avatarUrl' else x.avatar_url end,
	       settings = case when p_patch ? 'settings'
			   then x.settings || (p_patch -> 'settings')
			   else x.settings end
	 where x.id = p_id
	returning * into g;
	return group_json(g, p_user);
end;
$$;

create or replace function group_delete(p_id text, p_user text)
returns json
language plpgsql
volatile
as $$
declare
	l record;
begin
	select * into l from group_lock(p_id, p_user);
	if l.my_role <> 'owner' then
		raise exception using errcode = 'MM403',
		    message = 'Only the owner can delete the group';
	end if;
	delete from groups where id = p_id;
	return json_build_object('success', true);
end;
$$;

create or replace function group_join(p_id text, p_user text)
returns json
language plpgsql
volatile
as $$
declare
	g       groups;
	v_role  text;
begin
	select * into g from groups where id = p_id for update;
	if not found then
		raise exception using errcode = 'MM404',
		    message = 'Group not found';
	end if;
	select m.role into v_role from group_memberships m
	 where m.group_id = p_id and m.user_id = p_user;
	if v_role is null then
		if group_is_private(g) and not exists (select 1
		    from group_invitations i
		    where i.group_id = p_id and i.user_id = p_user) then
			raise exception using errcode = 'MM403',
			    message = 'This group is private: you need an invitation';
		end if;
		insert into group_memberships (group_id, user_id, role)
		values (p_id, p_user, 'member');
		delete from group_invitations i
		 where i.group_id = p_id and i.user_id = p_user;
	end if;
	return group_json(g, p_user);
end;
$$;

create or replace function group_invite(p_id text, p_user text,
	p_target text)
returns json
language plpgsql
volatile
as $$
declare
	l record;
begin
	select * into l from group_lock(p_id, p_user);
	if group_role_rank(l.my_role) < 3 then
		raise exception using errcode = 'MM403',
		    message = 'Only an admin or the owner can invite';
	end if;
	if not exists (select 1 from users u where u.id = p_target) then
		raise exception using errcode = 'MM404',
		    message = 'User not found';
	end if;
	if not exists (select 1 from group_memberships m
			where m.group_id = p_id and m.user_id = p_target) then
		insert into group_invitations (group_id, user_id, invited_by)
		values (p_id, p_target, p_user)
		on conflict (group_id, user_id) do nothing;
	end if;
	return json_build_object('success', true, 'groupId', p_id,
	    'userId', p_target, 'invited', true);
end;
$$;

create or replace function group_leave(p_id text, p_user text)
returns json
language plpgsql
volatile
as $$
declare
	l record;
begin
	select * into l from group_lock(p_id, p_user);
	if l.my_role = '' then
		raise exception using errcode = 'MM404',
		    message = 'You are not a member of this group';
	end if;
	if l.my_role = 'owner' then
		raise exception using errcode = 'MM409',
		    message = 'The owner cannot leave: transfer ownership first';
	end if;
	delete from group_memberships m
	 where m.group_id = p_id and m.user_id = p_user;
	return json_build_object('success', true);
end;
$$;

create or replace function group_member_json(p_id text, p_user text)
returns json
language plpgsql
stable
as $$
#variable_conflict use_column
begin
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	return (select q.v from (
		select json_build_object('userId', m.user_id, 'username', u.username,
			'displayName', u.display_name, 'role', m.role,
			'joinedAt', iso_ts(m.joined_at))
		  from group_memberships m
		  join users u on u.id = m.user_id
		 where m.group_id = p_id and m.user_id = p_user
	) q(v) limit 1);
end;
$$;

create or replace function group_members(p_id text, p_user text)
returns json
language plpgsql
stable
as $$
declare
	g groups;
begin
	select * into g from groups where id = p_id;
	if not found or (group_is_private(g) and not exists (select 1
	    from group_memberships m
	    where m.group_id = p_id and m.user_id = p_user)) then
		raise exception using errcode = 'MM404',
		    message = 'Group not found';
	end if;
	return json_build_object('members', coalesce((select json_agg(
		json_build_object('userId', m.user_id, 'username', u.username,
		    'displayName', u.display_name, 'role', m.role,
		    'joinedAt', iso_ts(m.joined_at))
		order by group_role_rank(m.role) desc, m.joined_at, m.user_id)
		from group_memberships m
		join users u on u.id = m.user_id
	       where m.group_id = p_id), '[]'::json));
end;
$$;

-- PATCH /api/groups/:id/members/:userId.  The owner may set any role;
-- setting 'owner' transfers ownership: the old owner is demoted to admin
-- first, then the new owner promoted (the one-owner index is checked row
-- by row).  Admins may set moderator/member on moderators and members.
create or replace function group_set_role(p_id text, p_user text,
	p_target text, p_role text)
returns json
language plpgsql
volatile
as $$
declare
	l        record;
	v_target text;
begin
	if group_role_rank(p_role) = 0 then
		raise exception using errcode = 'MM400',
		    message = 'role must be one of owner, admin, moderator, member';
	end if;
	select * into l from group_lock(p_id, p_user);
	if group_role_rank(l.my_role) < 3 then
		raise exception using errcode = 'MM403',
		    message = 'Only an admin or the owner can change roles';
	end if;
	select m.role into v_target from group_memberships m
	 where m.group_id = p_id and m.user_id = p_target;
	if v_target is null then
		raise exception using errcode = 'MM404',
		    message = 'This user is not a member of the group';
	end if;
	if l.my_role = 'owner' then
		if p_target = p_user then
			if p_role <> 'owner' then
				raise exception using errcode = 'MM409',
				    message = 'The owner must transfer ownership before changing their own role';
			end if;
		elsif p_role = 'owner' then
			update group_memberships set role = 'admin'
			 where group_id = p_id and user_id = p_user;
			update group_memberships set role = 'owner'
			 where group_id = p_id and user_id = p_target;
			update groups set owner_id = p_target where id = p_id;
		else
			update group_memberships set role = p_role
			 where group_id = p_id and user_id = p_target;
		end if;
	else
		if group_role_rank(v_target) >= 3
		    or p_role not in ('moderator', 'member') then
			raise exception using errcode = 'MM403',
			    message = 'Admins can only set moderator or member on lower roles';
		end if;
		update group_memberships set role = p_role
		 where group_id = p_id and user_id = p_target;
	end if;
	return group_member_json(p_id, p_target);
end;
$$;

create or replace function group_remove_member(p_id text, p_user text,
	p_target text)
returns json
language plpgsql
volatile
as $$
declare
	l        record;
	v_target text;
begin
	select * into l from group_lock(p_id, p_user);
	if group_role_rank(l.my_role) < 2 then
		raise exception using errcode = 'MM403',
		    message = 'Only moderators and above can remove members';
	end if;
	select m.role into v_target from group_memberships m
	 where m.group_id = p_id and m.user_id = p_target;
	if v_target is null then
		raise exception using errcode = 'MM404',
		    message = 'This user is not a member of the group';
	end if;
	if group_role_rank(v_target) >= group_role_rank(l.my_role) then
		raise exception using errcode = 'MM403',
		    message = 'You can only remove members with a lower role';
	end if;
	delete from group_memberships m
	 where m.group_id = p_id and m.user_id = p_target;
	return json_build_object('success', true);
end;
$$;
