-- Tips, milestones, streaks and insights (API §10; sql/functions/tips.sql):
-- streak arithmetic, the metrics milestones are measured by, completion
-- with exactly one milestone_achieved event, claims through
-- update_credit_balance, custom progress, seen/dismissed tips, and the
-- business errors (MM404, MM409). Needs the seed data (tips, milestones,
-- catalog); creates its own users.

begin;
select plan(53);

insert into users (id, email, username, password_hash, current_archetype_id)
values ('user_pgtap80a', 'pgtap80a@test.invalid', 'pgtap80a', 'x', 'bodybuilder'),
       ('user_pgtap80b', 'pgtap80b@test.invalid', 'pgtap80b', 'x', null),
       ('user_pgtap80c', 'pgtap80c@test.invalid', 'pgtap80c', 'x', null);
select update_credit_balance('user_pgtap80a', 100, 'signup_bonus', null,
	'user_pgtap80a:signup');

-- Streaks (API §6.6).
insert into workouts (user_id, date, total_tu, exercise_data, muscle_activations)
select 'user_pgtap80b', tips_today() - d, 10, '[]', '{"chest-mid": 10}'
  from unnest(array[1, 2, 3, 4, 8, 9]) d;
select is((select (current_streak, longest_streak, last_date)::text
	     from tips_streaks('user_pgtap80b', tips_today())),
	format('(4,4,%s)', tips_today() - 1),
	'a run ending yesterday is the current streak');
select is((select (current_streak, longest_streak)::text
	     from tips_streaks('user_pgtap80b', tips_today() - 1)),
	'(4,4)', 'as of yesterday: 4 days ending that day');
select is((select current_streak from tips_streaks('user_pgtap80b', tips_today() + 1)),
	0, 'two days later the streak is broken');
select is((select current_streak from tips_streaks('user_pgtap80b', tips_today() - 6)),
	0, 'no workout that day or the day before');
select is((select current_streak from tips_streaks('user_pgtap80b', tips_today() - 9)),
	1, 'counts only up to the given day');
select is((select (current_streak, longest_streak, last_date)::text
	     from tips_streaks('user_pgtap80c', tips_today())),
	'(0,0,)', 'no workouts: zeros');

-- Metrics.
insert into workouts (user_id, date, total_tu, exercise_data, muscle_activations)
values ('user_pgtap80a', tips_today(), 91.67,
	'[{"exerciseId":"bw-pushup","sets":3,"reps":10},
	  {"exerciseId":"cardio-running","sets":2,"duration":300},
	  {"exerciseId":"fw-squat","sets":"x","reps":5},
	  "junk"]',
	'{"chest-mid": 11.67, "triceps-lateral": 22.5}'),
       ('user_pgtap80a', tips_today() - 1, 20.2, '[]', '{}');
insert into high_fives (sender_id, recipient_id)
values ('user_pgtap80a', 'user_pgtap80b'), ('user_pgtap80b', 'user_pgtap80a');
create temp table m on commit drop as
	select * from milestones_metrics('user_pgtap80a');
select is((select value from m where condition_type = 'workouts_completed'), 2::bigint,
	'workouts_completed');
select is((select value from m where condition_type = 'total_tu'), 111::bigint,
	'total_tu: whole units of the sum');
select is((select value from m where condition_type = 'exercises_done'), 3::bigint,
	'exercises_done: object entries only');
select is((select value from m where condition_type = 'total_reps'), 35::bigint,
	'total_reps: sets x reps; a non-numeric sets counts as 1');
select is((select value from m where condition_type = 'total_minutes'),
	((3 * (select estimated_seconds from exercises where id = 'bw-pushup')
	  + 2 * 300 + 1 * (select estimated_seconds from exercises where id = 'fw-squat'))
	 / 60)::bigint,
	'total_minutes: sets x duration, else the catalog seconds');
select is((select value from m where condition_type = 'streak_days'), 2::bigint,
	'streak_days: the longest run');
select is((select value from m where condition_type = 'high_fives_sent'), 1::bigint,
	'high_fives_sent counts sent ones only');

-- Targets.
select is((select milestones_target(x) from milestones x where id = 'ms_week_streak'),
	7, 'target from condition_value.threshold');
select is(milestones_target(row('t', 'T', null, 'c', 'custom', '{}', 0, null, now(),
	12, null, null)::milestones), 12, 'target from the threshold column');
select is(milestones_target(row('t', 'T', null, 'c', 'custom', '{}', 0, null, now(),
	null, null, null)::milestones), 1, 'target at least 1');

-- Completion and events.
create temp table ev on commit drop as
	select milestones_after_activity('user_pgtap80a') as e;
select is((select jsonb_array_length(e) from ev), 1, 'one milestone completed');
select is((select e -> 0 -> 'payload' from ev),
	'{"milestoneId": "ms_first_workout", "name": "First Workout"}'::jsonb,
	'payload {milestoneId, name}');
select is((select (e -> 0 ->> 'eventType', e -> 0 ->> 'visibilityScope',
		   e -> 0 ->> 'userId', e -> 0 ->> 'username')::text from ev),
	'(milestone_achieved,private,user_pgtap80a,pgtap80a)', 'a private feed event');
select matches((select e -> 0 ->> 'createdAt' from ev),
	'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$', 'createdAt ISO UTC');
select is((select array_agg(k order by k) from ev, jsonb_object_keys(e -> 0) k),
	array['createdAt', 'displayName', 'eventType', 'id', 'payload', 'userId',
	      'username', 'visibilityScope'], 'exactly the feed event keys');
select is((select count(*)::int from activity_events
	    where user_id = 'user_pgtap80a' and event_type = 'milestone_achieved'
	      and visibility_scope = 'private' and id = (select e -> 0 ->> 'id' from ev)),
	1, 'the event is stored');
select is((select (progress, completed_at is not null)::text from user_milestone_progress
	    where user_id = 'user_pgtap80a' and milestone_id = 'ms_first_workout'),
	'(2,t)', 'progress 2, completed');
select is((select count(*)::int from user_milestone_progress
	    where user_id = 'user_pgtap80a'), (select count(*)::int from milestones),
	'a progress row per milestone');
select is(milestones_after_activity('user_pgtap80a'), '[]'::jsonb,
	'a second call emits nothing');
select is(milestones_after_activity('user_nobody'), '[]'::jsonb, 'unknown user');
select is(milestones_after_activity(null), '[]'::jsonb, 'NULL user');
select throws_ok($$insert into activity_events (user_id, event_type, payload, visibility_scope)
	values ('user_pgtap80a', 'milestone_achieved',
		'{"milestoneId": "ms_first_workout", "name": "x"}', 'private')$$,
	'23505', null, 'a milestone is never announced twice');

-- Claims (API §10.7).
select throws_ok($$select * from milestones_claim('user_pgtap80a', 'ms_nope')$$,
	'MM404', 'Milestone not found', 'unknown milestone');
select throws_ok($$select * from milestones_claim('user_pgtap80a', 'ms_workouts_10')$$,
	'MM409', null, 'not completed');
select is((select body::jsonb from milestones_claim('user_pgtap80a', 'ms_first_workout')),
	'{"success": true, "milestoneId": "ms_first_workout", "credited": 10,
	  "newBalance": 110, "alreadyClaimed": false}'::jsonb, 'first claim credits');
select is((select (action, amount, balance_after, idempotency_key)::text
	     from credit_ledger where user_id = 'user_pgtap80a' and action = 'milestone_reward'),
	'(milestone_reward,10,110,user_pgtap80a:milestone:ms_first_workout)',
	'one ledger row with the per-user key');
select is((select body::jsonb from milestones_claim('user_pgtap80a', 'ms_first_workout')),
	'{"success": true, "milestoneId": "ms_first_workout", "credited": 10,
	  "newBalance": 110, "alreadyClaimed": true}'::jsonb, 'second claim');
select is((select count(*)::int from credit_ledger where user_id = 'user_pgtap80a'), 2,
	'no ledger change on the second claim');
select is((select reward_claimed from user_milestone_progress
	    where user_id = 'user_pgtap80a' and milestone_id = 'ms_first_workout'), true,
	'reward_claimed');

-- Custom progress (API §10.8).
insert into milestones (id, name, category, condition_type, condition_value, reward_credits)
values ('ms_pgtap80_custom', 'Custom', 'test', 'custom', '{"threshold": 3}', 5);
select throws_ok($$select * from milestones_report_progress('user_pgtap80a', 'ms_first_workout', 1)$$,
	'MM409', null, 'server-tracked milestones refuse client progress');
select throws_ok($$select * from milestones_report_progress('user_pgtap80a', 'ms_nope', 1)$$,
	'MM404', 'Milestone not found', 'unknown milestone');
select is((select body::jsonb from milestones_report_progress('user_pgtap80a',
	'ms_pgtap80_custom', 2)),
	'{"milestoneId": "ms_pgtap80_custom", "progress": 2, "completed": false}', '2 of 3');
select is((select body::jsonb from milestones_report_progress('user_pgtap80a',
	'ms_pgtap80_custom', 1)),
	'{"milestoneId": "ms_pgtap80_custom", "progress": 2, "completed": false}',
	'progress never shrinks');
select is((select jsonb_array_length(events) from milestones_report_progress(
	'user_pgtap80a', 'ms_pgtap80_custom', 3)), 1, 'completion emits an event');
select is((select jsonb_array_length(events) from milestones_report_progress(
	'user_pgtap80a', 'ms_pgtap80_custom', 4)), 0, 'only once');
select is(milestones_after_activity('user_pgtap80a'), '[]'::jsonb,
	'refreshing keeps custom progress and completion');

-- Tips (API §10.1-10.3).
select throws_ok($$select tips_mark('user_pgtap80b', 'tip_nope', false)$$,
	'MM404', 'Tip not found', 'unknown tip');
select is(tips_mark('user_pgtap80b', 'tip_recovery_sleep', false), '{"success":true}',
	'seen');
select is(tips_mark('user_pgtap80b', 'tip_recovery_sleep', false), '{"success":true}',
	'seen again');
select is((select dismissed from user_tips_seen
	    where user_id = 'user_pgtap80b' and tip_id = 'tip_recovery_sleep'), false,
	'seen is not dismissed');
select is(tips_mark('user_pgtap80b', 'tip_recovery_sleep', true), '{"success":true}',
	'dismissed after seen');
select is((select dismissed from user_tips_seen
	    where user_id = 'user_pgtap80b' and tip_id = 'tip_recovery_sleep'), true,
	'dismissal recorded');
select ok(tips_list(null, null, null, null, null, 50) like '%tip_recovery_sleep%',
	'anonymous list has the tip');
select ok(tips_list('user_pgtap80b', null, null, null, null, 50)
	not like '%tip_recovery_sleep%', 'not for the user who saw it');
select ok(tips_contextual('user_pgtap80b', 'dashboard') not like '%tip_recovery_sleep%',
	'nor in contextual tips');

-- Insights and progression.
select is((select jsonb_agg(i ->> 'type') from jsonb_array_elements(
	insights_for('user_pgtap80c')::jsonb -> 'insights') i),
	'["getting_started"]'::jsonb, 'no workouts: getting started');
select throws_ok($$select progression_mastery_levels(null, 'nope')$$,
	'MM404', 'Archetype not found', 'unknown archetype');

select * from finish();
rollback;
