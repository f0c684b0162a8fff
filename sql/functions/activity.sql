-- Activity events, shared by every domain that creates them (workouts,
-- level-ups, milestones, high-fives).  This file sorts before the domain
-- files, which use it.

-- The §7.1 event object with full identity, as it is published after the
-- commit (subscribers' channels strip identity where their scope asks).
CREATE OR REPLACE FUNCTION activity_event_json(e activity_events)
RETURNS jsonb
LANGUAGE sql STABLE AS $$
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
$$;

-- Earlier per-domain copies of the same function.
DROP FUNCTION IF EXISTS journey_event_json(activity_events);
DROP FUNCTION IF EXISTS workout_event_json(activity_events);
