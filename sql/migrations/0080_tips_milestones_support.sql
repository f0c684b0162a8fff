-- Tips and milestones support (API §10).
--
-- user_tips_seen.dismissed: the table records both "seen" and "dismissed"
-- (either hides the tip from that user, API §10.3); the flag keeps the
-- difference for reporting. A dismissal after a view sets it; a view after
-- a dismissal leaves it set.
--
-- activity_events_milestone_once: a milestone is achieved once per user, so
-- at most one milestone_achieved event exists per (user, milestoneId). The
-- stored function milestones_after_activity() already emits exactly once
-- (it serializes per user and only emits on the completed_at transition);
-- the index makes a second event impossible whatever the caller does.
--
-- workouts_user_created_idx: the milestone, insight and streak code asks
-- "which workouts did this user log since t" (created_at, not the workout's
-- date); the (user_id, date, created_at) index cannot answer that by range.

alter table user_tips_seen
	add column dismissed boolean not null default false;

create unique index activity_events_milestone_once
	on activity_events (user_id, (payload ->> 'milestoneId'))
	where event_type = 'milestone_achieved';

create index workouts_user_created_idx on workouts (user_id, created_at);
