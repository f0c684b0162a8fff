-- A level of an archetype is reached once per user (API §6.5).
--
-- journey_after_workout() (sql/functions/journey.sql) already serializes
-- on the user's row before it decides which levels were reached; this
-- index makes "one level_up event per level, exactly once" a property of
-- the data as well, so that no caller, isolation level or retry can write
-- a second event for the same user, archetype and level. It only covers
-- level_up events, which are written by that function alone.

create unique index activity_events_level_up_once on activity_events
	(user_id, (payload ->> 'archetypeId'), (payload ->> 'level'))
	where event_type = 'level_up';
