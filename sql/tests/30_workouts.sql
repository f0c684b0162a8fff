-- Workout functions (API §4): workout_create (charge, replay, entitlements,
-- insufficient credits leaving nothing, the event and its visibility),
-- workout_get visibility, workout_list order and filters, workout_stats and
-- workout_muscles windows, workout_tu. Creates its own users; needs the
-- credit_actions seed row for the workout cost (falls back to 25).

begin;
select plan(53);

insert into users (id, email, username, password_hash, trial_started_at, trial_ends_at)
values ('user_pgtap30free', 'pgtap30free@test.invalid', 'pgtap30free', 'x',
        now() - interval '100 days', now() - interval '10 days'),
       ('user_pgtap30poor', 'pgtap30poor@test.invalid', 'pgtap30poor', 'x',
        now() - interval '100 days', now() - interval '10 days'),
       ('user_pgtap30trial', 'pgtap30trial@test.invalid', 'pgtap30trial', 'x',
        now(), now() + interval '90 days'),
       ('user_pgtap30sub', 'pgtap30sub@test.invalid', 'pgtap30sub', 'x',
        now() - interval '100 days', now() - interval '10 days'),
       ('user_pgtap30priv', 'pgtap30priv@test.invalid', 'pgtap30priv', 'x',
        now(), now() + interval '90 days'),
       ('user_pgtap30prof', 'pgtap30prof@test.invalid', 'pgtap30prof', 'x',
        now(), now() + interval '90 days');
do $$ begin perform update_credit_balance('user_pgtap30free', 100, 'signup_bonus', null, 'user_pgtap30free:signup'); end $$;
do $$ begin perform update_credit_balance('user_pgtap30poor', 10, 'signup_bonus', null, 'user_pgtap30poor:signup'); end $$;
insert into subscriptions (user_id, stripe_subscription_id, status)
values ('user_pgtap30sub', 'sub_pgtap30', 'active');
insert into user_settings (user_id, settings)
values ('user_pgtap30priv', '{"privacy":{"showInFeed":false}}'),
       ('user_pgtap30prof', '{"privacy":{"publicProfile":false,"showInFeed":true}}');

create temp table r (label text primary key, status integer, workout jsonb, event jsonb)
	on commit drop;

-- A free-tier workout: charged 25 in the same transaction.
insert into r select 'free', status, workout::jsonb, event::jsonb from workout_create(
	'user_pgtap30free', '2026-01-04', 91.67,
	'[{"exerciseId":"bw-pushup","sets":3,"reps":null,"weight":null,"duration":null,"notes":null}]',
	'{"chest-mid":11.67,"triceps-lateral":22.50}', 'notes', true, 'key-1',
	'["triceps-lateral","chest-mid"]');
select is((select status from r where label = 'free'), 201, 'a new workout answers 201');
select matches((select workout->>'id' from r where label = 'free'), '^workout_[0-9a-f]{32}$',
	'workout id format');
select is((select workout - 'id' - 'createdAt' from r where label = 'free'),
	jsonb_build_object('userId', 'user_pgtap30free', 'date', '2026-01-04', 'totalTu', 91.67,
	    'creditsUsed', 25, 'exerciseData',
	    '[{"exerciseId":"bw-pushup","sets":3,"reps":null,"weight":null,"duration":null,"notes":null}]'::jsonb,
	    'muscleActivations', '{"chest-mid":11.67,"triceps-lateral":22.50}'::jsonb,
	    'notes', 'notes', 'isPublic', true),
	'the workout object');
select matches((select workout->>'createdAt' from r where label = 'free'),
	'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$', 'createdAt is ISO UTC');
select is((select balance from credit_balances where user_id = 'user_pgtap30free'), 75,
	'charged 25');
select is(
	(select (action, amount, balance_after, metadata, idempotency_key)::text
	   from credit_ledger where user_id = 'user_pgtap30free' and action = 'workout'),
	(select ('workout', -25, 75, jsonb_build_object('workoutId', workout->>'id'),
	         'user_pgtap30free:workout:key-1')::text from r where label = 'free'),
	'one workout ledger row with workoutId and the per-user key');
select is((select event->>'eventType' from r where label = 'free'), 'workout_completed',
	'the event is returned for publishing');
select is((select event->>'visibilityScope' from r where label = 'free'), 'public_anon',
	'default visibility public_anon');
select is((select event->>'username' from r where label = 'free'), 'pgtap30free',
	'the event carries the username');
select is(
	(select payload from activity_events where user_id = 'user_pgtap30free'),
	(select jsonb_build_object('workoutId', workout->>'id', 'userId', 'user_pgtap30free',
	    'username', 'pgtap30free', 'totalTu', 91.67,
	    'topMuscles', '["triceps-lateral","chest-mid"]'::jsonb, 'exerciseCount', 1)
	   from r where label = 'free'),
	'stored event payload');
select is((select id from activity_events where user_id = 'user_pgtap30free'),
	(select event->>'id' from r where label = 'free'), 'the returned event is the stored one');
select is(
	(select (total_tu, total_tu_exact, credits_used, idempotency_key)::text
	   from workouts where user_id = 'user_pgtap30free'),
	'(91.67,91.67,25,key-1)', 'stored row: REAL and exact totals');

-- Replay: 200 with the original, nothing written.
insert into r select 'replay', status, workout::jsonb, event::jsonb from workout_create(
	'user_pgtap30free', null, 5, '[]', '{}', 'other', false, 'key-1', '[]');
select is((select status from r where label = 'replay'), 200, 'a replay answers 200');
select is((select workout from r where label = 'replay'),
	(select workout from r where label = 'free'), 'a replay answers the original workout');
select is((select event from r where label = 'replay'), null, 'a replay publishes nothing');
select is((select (count(*), sum(credits_used))::text from workouts
            where user_id = 'user_pgtap30free'), '(1,25)', 'a replay stores nothing');
select is((select balance from credit_balances where user_id = 'user_pgtap30free'), 75,
	'a replay charges nothing');
select is((select count(*)::int from activity_events where user_id = 'user_pgtap30free'), 1,
	'a replay adds no event');

-- No key: the ledger key comes from the workout id.
insert into r select 'nokey', status, workout::jsonb, event::jsonb from workout_create(
	'user_pgtap30free', null, 10, '[{"exerciseId":"bw-pushup","sets":1}]', '{}', null, null,
	null, null);
select is((select idempotency_key from credit_ledger
            where metadata->>'workoutId' = (select workout->>'id' from r where label = 'nokey')),
	(select 'user_pgtap30free:workout:' || (workout->>'id') from r where label = 'nokey'),
	'without a key the ledger key is derived from the workout id');
select is((select workout->>'date' from r where label = 'nokey'),
	to_char((now() at time zone 'UTC')::date, 'YYYY-MM-DD'), 'date defaults to today UTC');
select is((select (workout->'isPublic')::text from r where label = 'nokey'), 'true',
	'isPublic defaults to true');

-- Not enough credits: MM402 with the exact message, nothing left behind.
select throws_ok(
	$$select * from workout_create('user_pgtap30poor', null, 1, '[]', '{}', null, true, 'k', '[]')$$,
	'MM402', 'You need 25 credits but only have 10', 'insufficient credits raise MM402');
select is((select count(*)::int from workouts where user_id = 'user_pgtap30poor'), 0,
	'no workout after a refused charge');
select is((select count(*)::int from activity_events where user_id = 'user_pgtap30poor'), 0,
	'no event after a refused charge');
select is((select (balance, version)::text from credit_balances where user_id = 'user_pgtap30poor'),
	'(10,1)', 'balance untouched');

-- Unlimited users are not charged.
insert into r select 'trial', status, workout::jsonb, event::jsonb from workout_create(
	'user_pgtap30trial', null, 1, '[]', '{}', null, true, null, '[]');
select is((select (workout->'creditsUsed')::int from r where label = 'trial'), 0,
	'trial: creditsUsed 0');
select is((select count(*)::int from credit_ledger where user_id = 'user_pgtap30trial'), 0,
	'trial: no ledger row');
insert into r select 'sub', status, workout::jsonb, event::jsonb from workout_create(
	'user_pgtap30sub', null, 1, '[]', '{}', null, true, null, '[]');
select is((select (workout->'creditsUsed')::int from r where label = 'sub'), 0,
	'active subscription: creditsUsed 0');

-- Visibility.
insert into r select 'private', status, workout::jsonb, event::jsonb from workout_create(
	'user_pgtap30trial', null, 1, '[]', '{}', null, false, null, '[]');
select is((select event->>'visibilityScope' from r where label = 'private'), 'private',
	'isPublic false: private');
insert into r select 'nofeed', status, workout::jsonb, event::jsonb from workout_create(
	'user_pgtap30priv', null, 1, '[]', '{}', null, true, null, '[]');
select is((select event->>'visibilityScope' from r where label = 'nofeed'), 'private',
	'showInFeed false: private');
insert into r select 'profile', status, workout::jsonb, event::jsonb from workout_create(
	'user_pgtap30prof', null, 1, '[]', '{}', null, true, null, '[]');
select is((select event->>'visibilityScope' from r where label = 'profile'), 'public_profile',
	'publicProfile false: public_profile');

-- workout_get
select is(workout_get((select workout->>'id' from r where label = 'private'), 'user_pgtap30trial')::jsonb,
	(select workout from r where label = 'private'), 'the owner reads a private workout');
select is(workout_get((select workout->>'id' from r where label = 'private'), 'user_pgtap30free')::jsonb,
	null, 'another user cannot read a private workout');
select is(workout_get((select workout->>'id' from r where label = 'trial'), 'user_pgtap30free')::jsonb,
	(select workout from r where label = 'trial'), 'anyone reads a public workout');
select is(workout_get('workout_nope', 'user_pgtap30free')::jsonb, null, 'unknown id: NULL');

-- workout_list: dates, order, filters, pages.
insert into workouts (id, user_id, date, total_tu, created_at) values
	('workout_pgtap30_a', 'user_pgtap30sub', current_date - 3, 10, now() - interval '3 hours'),
	('workout_pgtap30_b', 'user_pgtap30sub', current_date - 3, 20, now() - interval '1 hour'),
	('workout_pgtap30_c', 'user_pgtap30sub', current_date - 40, 30, now()),
	('workout_pgtap30_d', 'user_pgtap30sub', current_date - 10, 40.5, now());
select is(
	(select array_agg(x->>'id' order by n)
	   from json_array_elements(workout_list('user_pgtap30sub', 20, 0, null, null)->'workouts')
	        with ordinality as t(x, n)
	  where x->>'id' like 'workout_pgtap30_%'),
	array['workout_pgtap30_b', 'workout_pgtap30_a', 'workout_pgtap30_d', 'workout_pgtap30_c'],
	'newest date first, then newest createdAt');
select is((workout_list('user_pgtap30sub', 2, 1, null, null)::jsonb - 'workouts'),
	'{"total":5,"limit":2,"offset":1}'::jsonb, 'total, limit and offset');
select is(json_array_length(workout_list('user_pgtap30sub', 2, 1, null, null)->'workouts'), 2,
	'a page holds limit items');
select is(json_array_length(workout_list('user_pgtap30sub', 20, 5, null, null)->'workouts'), 0,
	'past the end: empty');
select is((workout_list('user_pgtap30sub', 20, 0, current_date - 10, current_date - 3)->>'total')::int,
	3, 'inclusive date range');
select is((workout_list('user_pgtap30sub', 20, 0, current_date - 3, null)->>'total')::int,
	3, 'startDate only');
select is((workout_list('user_pgtap30sub', 20, 0, null, current_date - 40)->>'total')::int,
	1, 'endDate only');

-- workout_stats and workout_muscles (sub user: today 1, -3 10, -3 20, -10 40.5, -40 30)
select is(workout_stats('user_pgtap30sub')::jsonb,
	'{"allTime":{"workoutCount":5,"totalTu":101.5},"thisWeek":{"workoutCount":3,"totalTu":31},
	  "thisMonth":{"workoutCount":4,"totalTu":71.5}}'::jsonb,
	'all time, last 7 days and last 30 days');
select is(workout_stats('user_pgtap30prof')::jsonb - 'allTime',
	'{"thisWeek":{"workoutCount":1,"totalTu":1},"thisMonth":{"workoutCount":1,"totalTu":1}}'::jsonb,
	'stats of a user with one workout');
update workouts set muscle_activations = '{"chest-mid":1.25,"lats":2}'
 where id in ('workout_pgtap30_a', 'workout_pgtap30_b', 'workout_pgtap30_c');
select is(workout_muscles('user_pgtap30sub', 7)::jsonb,
	'{"days":7,"muscleActivations":{"chest-mid":2.5,"lats":4}}'::jsonb,
	'per-muscle sums over the last 7 days');
select is(workout_muscles('user_pgtap30sub', 365)::jsonb,
	'{"days":365,"muscleActivations":{"chest-mid":3.75,"lats":6}}'::jsonb, 'over a year');
select is(workout_muscles('user_pgtap30sub', 1)::jsonb,
	'{"days":1,"muscleActivations":{}}'::jsonb, 'nothing today with activations');

-- workout_tu: the exact column when it agrees with the REAL one.
select is(workout_tu(152777.78::real, 152777.78), 152777.78, 'exact value beyond REAL precision');
select is(workout_tu(91.67::real, null), 91.67, 'REAL only: rounded to 2 decimals');
select is(workout_tu(50::real, 91.67), 50.00, 'a REAL changed directly wins');
select is(workout_tu(12345.67::real, null), 12345.67, 'REAL only keeps cents below 2^17');

-- The statement the binary prepares, with text parameters.
select lives_ok(
	$$select * from workout_create('user_pgtap30trial', '2026-01-05'::date, '3.50'::numeric,
	    '[]'::jsonb, '{}'::jsonb, null, 'true'::boolean, 'stmt', '[]'::jsonb)$$,
	'the prepared statement form runs');
select is((select total_tu_exact from workouts where user_id = 'user_pgtap30trial'
            and idempotency_key = 'stmt'), 3.50, 'and stores the exact total');

select * from finish();
rollback;
