-- Activity events, shared by every domain that creates them (workouts,
-- level-ups, milestones, high-fives).  This file sorts before the domain
-- files, which use it.

-- The §7.1 event object. p_anon strips the identity (userId, username,
-- displayName become null and the payload loses userId and username), as
-- anonymous callers and the anonymous stream see it.  Plain columns, not a
-- row value, and STABLE like its body, so that the planner inlines it.
create or replace function activity_event_obj(p_id text, p_type text,
	p_user text, p_username text, p_display text, p_payload jsonb,
	p_scope text, p_created timestamptz, p_anon boolean)
returns json
language sql
stable
as $$
	select json_build_object(
		'id', p_id,
		'eventType', p_type,
		'userId', case when p_anon then null else p_user end,
		'username', case when p_anon then null else p_username end,
		'displayName', case when p_anon then null else p_display end,
		'payload', case when p_anon
			then coalesce(p_payload, '{}'::jsonb) - 'userId' - 'username'
			else coalesce(p_payload, '{}'::jsonb) end,
		'visibilityScope', p_scope,
		-- iso_ts()'s format, written out: iso_ts() is declared immutable
		-- around the stable to_char(), which keeps the planner from
		-- inlining it, and a feed page calls this for every event.
		'createdAt', to_char(p_created at time zone 'UTC',
		    'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
$$;

create or replace function activity_event_json(e activity_events,
	p_username text, p_display_name text, p_anon boolean)
returns json
language sql
stable
as $$
	select activity_event_obj(e.id, e.event_type, e.user_id, p_username,
	    p_display_name, e.payload, e.visibility_scope, e.created_at, p_anon)
$$;

-- The one way an activity event is created (the seed's "Create Activity
-- Event" step): inserts the row and returns the event object with full
-- identity. The caller publishes it after its transaction commits
-- (lib/realtime.h, realtime_publish_event()).
create or replace function activity_event_create(p_user_id text,
	p_event_type text, p_payload jsonb, p_visibility text,
	p_geo_bucket text default null)
returns json
language plpgsql
volatile
as $$
declare
	v_e    activity_events;
	v_name text;
	v_disp text;
begin
	if p_event_type is null or p_event_type not in ('workout_completed',
	    'level_up', 'milestone_achieved', 'high_five') then
		raise exception using errcode = 'MM400',
		    message = 'Unknown event type';
	end if;
	if p_visibility is null or p_visibility not in ('public_anon',
	    'public_profile', 'private') then
		raise exception using errcode = 'MM400',
		    message = 'Unknown visibility scope';
	end if;
	insert into activity_events (user_id, event_type, payload,
	    visibility_scope, geo_bucket)
	values (p_user_id, p_event_type, coalesce(p_payload, '{}'::jsonb),
	    p_visibility, p_geo_bucket)
	returning * into v_e;
	select u.username, u.display_name into v_name, v_disp
	  from users u where u.id = p_user_id;
	return activity_event_json(v_e, v_name, v_disp, false);
end;
$$;

-- The §7.1 event object with full identity, looking the user up: how a
-- stored function returns the events it created for publishing.
-- (PL/pgSQL, which keeps its plans: as an SQL function with a FROM clause
-- it was planned again on every call.)
CREATE OR REPLACE FUNCTION activity_event_json(e activity_events)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_name text;
	v_disp text;
BEGIN
	SELECT u.username, u.display_name INTO v_name, v_disp
	  FROM users u WHERE u.id = e.user_id;
	RETURN activity_event_json(e, v_name, v_disp, false)::jsonb;
END;
$$;

-- Earlier per-domain copies of the same function.
DROP FUNCTION IF EXISTS journey_event_json(activity_events);
DROP FUNCTION IF EXISTS workout_event_json(activity_events);

-- What an activity (a committed workout, a high-five) changes beyond
-- itself (API §4.2 step 5, §6.5, §10.6): the journey level and the
-- milestones. Returns the new level_up and milestone_achieved events as
-- feed objects, for the caller to publish; [] when nothing was reached.
--
-- The caller runs it as one statement (READ COMMITTED) after the activity
-- has committed. The usual answer, nothing reached, costs two reads of the
-- running totals (user_activity_totals) and writes nothing; only a level
-- or a milestone within reach takes the locks and writes, through
-- journey_after_workout() and milestones_after_activity(), which decide
-- again under their locks, so concurrent calls emit each event once.
-- Stored milestone progress is brought up to date by every reader of it
-- (milestones_list() and the others call milestones_after_activity()).
create or replace function activity_after(p_user_id text)
returns jsonb
language plpgsql
volatile
as $$
declare
	v_events jsonb := '[]'::jsonb;
begin
	if exists (select 1 from users u
		    where u.id = p_user_id
		      and u.current_archetype_id is not null
		      and (journey_level_at(u.current_archetype_id,
			  journey_total_tu(p_user_id))).level > u.current_level)
	then
		v_events := journey_after_workout(p_user_id);
	end if;
	if exists (select 1
		     from milestones m
		     join milestones_metrics(p_user_id) x
		       on x.condition_type = m.condition_type
		    where x.value >= milestones_target(m)
		      and not exists (select 1 from user_milestone_progress p
				       where p.user_id = p_user_id
					 and p.milestone_id = m.id
					 and p.completed_at is not null))
	then
		v_events := v_events || milestones_after_activity(p_user_id);
	end if;
	return v_events;
end;
$$;
