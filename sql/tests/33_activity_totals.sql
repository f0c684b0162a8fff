-- Running activity totals (0090_activity_totals.sql): the trigger on
-- workouts keeps user_activity_totals and user_training_days equal to a
-- fresh summation of the user's workouts through inserts, updates and
-- deletes; milestones_metrics() and journey_total_tu() read them; and
-- activity_after() emits a reached milestone or level once and writes
-- nothing when nothing is reached.

begin;
select plan(29);

insert into users (id, email, username, password_hash, trial_started_at, trial_ends_at)
values ('user_pgtap33a', 'pgtap33a@test.invalid', 'pgtap33a', 'x', now(), now() + interval '90 days'),
       ('user_pgtap33b', 'pgtap33b@test.invalid', 'pgtap33b', 'x', now(), now() + interval '90 days');

-- The totals as a fresh summation over the workouts table computes them.
create or replace function pg_temp.fresh(p_user text)
returns table (workouts bigint, tu double precision, exercises bigint, reps numeric, seconds numeric)
language sql as $$
	select count(*), coalesce(sum(w.total_tu::double precision), 0),
	       coalesce(sum(m.exercises), 0), coalesce(sum(m.reps), 0), coalesce(sum(m.seconds), 0)
	  from workouts w
	 cross join lateral activity_workout_metrics(w.exercise_data) m
	 where w.user_id = p_user
$$;
create or replace function pg_temp.kept(p_user text)
returns table (workouts bigint, tu double precision, exercises bigint, reps numeric, seconds numeric)
language sql as $$
	select coalesce(t.workouts, 0), coalesce(t.tu, 0), coalesce(t.exercises, 0),
	       coalesce(t.reps, 0), coalesce(t.seconds, 0)
	  from (select 1) one left join user_activity_totals t on t.user_id = p_user
$$;
create or replace function pg_temp.days(p_user text) returns text
language sql as $$
	select coalesce(string_agg(d.day || 'x' || d.workouts, ',' order by d.day), '')
	  from user_training_days d where d.user_id = p_user
$$;
create or replace function pg_temp.metric(p_user text, p_type text) returns bigint
language sql as $$
	select value from milestones_metrics(p_user) where condition_type = p_type
$$;

select is(pg_temp.kept('user_pgtap33a'), pg_temp.fresh('user_pgtap33a'),
	'a user without workouts has zero totals');
select is(activity_after('user_pgtap33a'), '[]'::jsonb,
	'nothing is reached without activity');
select is((select count(*) from user_milestone_progress where user_id = 'user_pgtap33a'), 0::bigint,
	'and nothing is written');

insert into workouts (id, user_id, date, total_tu, exercise_data)
values ('workout_pgtap33_1', 'user_pgtap33a', '2026-03-01', 91.67,
	'[{"exerciseId":"bw-pushup","sets":3,"reps":12},{"exerciseId":"fw-bench-press","sets":4,"reps":8,"weight":80}]'),
       ('workout_pgtap33_2', 'user_pgtap33a', '2026-03-01', 10.5,
	'[{"exerciseId":"bw-pushup","sets":2,"duration":40},{"exerciseId":"no-such","sets":1},"junk"]'),
       ('workout_pgtap33_3', 'user_pgtap33a', '2026-03-02', 0.01, '{}');

select is(pg_temp.kept('user_pgtap33a'), pg_temp.fresh('user_pgtap33a'),
	'inserts: the totals equal a fresh summation');
select is(pg_temp.kept('user_pgtap33a'),
	row(3::bigint, 91.67::real::double precision + 10.5::real + 0.01::real,
	    4::bigint, 68::numeric, (3 * 30 + 4 * 35 + 2 * 40 + 1 * 45)::numeric),
	'inserts: the exact sums (a non-object entry and a non-array are not exercises)');
select is(pg_temp.days('user_pgtap33a'), '2026-03-01x2,2026-03-02x1',
	'inserts: the training days with their workout counts');
select is(pg_temp.metric('user_pgtap33a', 'workouts_completed'), 3::bigint, 'metric workouts_completed');
select is(pg_temp.metric('user_pgtap33a', 'total_tu'), 102::bigint, 'metric total_tu (whole units)');
select is(pg_temp.metric('user_pgtap33a', 'exercises_done'), 4::bigint, 'metric exercises_done');
select is(pg_temp.metric('user_pgtap33a', 'total_reps'), 68::bigint, 'metric total_reps');
select is(pg_temp.metric('user_pgtap33a', 'total_minutes'), 5::bigint, 'metric total_minutes (355 s)');
select is(pg_temp.metric('user_pgtap33a', 'streak_days'), 2::bigint, 'metric streak_days from the training days');
select is(journey_total_tu('user_pgtap33a'), 102.18::numeric, 'journey_total_tu from the totals');

update workouts set date = '2026-03-03', exercise_data = '[{"exerciseId":"bw-pushup","sets":5,"reps":5}]',
	total_tu = 20 where id = 'workout_pgtap33_2';
select is(pg_temp.kept('user_pgtap33a'), pg_temp.fresh('user_pgtap33a'),
	'an update: the totals follow');
select is(pg_temp.days('user_pgtap33a'), '2026-03-01x1,2026-03-02x1,2026-03-03x1',
	'an update: the old day loses a workout, the new day gains one');

update workouts set user_id = 'user_pgtap33b' where id = 'workout_pgtap33_3';
select is(pg_temp.kept('user_pgtap33a'), pg_temp.fresh('user_pgtap33a'),
	'a workout moved to another user: the first user''s totals follow');
select is(pg_temp.kept('user_pgtap33b'), pg_temp.fresh('user_pgtap33b'),
	'and the second user''s');

delete from workouts where id = 'workout_pgtap33_1';
select is(pg_temp.kept('user_pgtap33a'), pg_temp.fresh('user_pgtap33a'),
	'a delete: the totals follow');
select is(pg_temp.days('user_pgtap33a'), '2026-03-03x1',
	'a delete: a day without workouts is gone');

-- The longest streak: a new day joins runs, a day gone splits them.
insert into workouts (id, user_id, date, total_tu)
values ('workout_pgtap33_s1', 'user_pgtap33a', '2026-04-01', 1),
       ('workout_pgtap33_s2', 'user_pgtap33a', '2026-04-02', 1),
       ('workout_pgtap33_s4', 'user_pgtap33a', '2026-04-04', 1),
       ('workout_pgtap33_s5', 'user_pgtap33a', '2026-04-05', 1),
       ('workout_pgtap33_s6', 'user_pgtap33a', '2026-04-06', 1);
select is(pg_temp.metric('user_pgtap33a', 'streak_days'), 3::bigint,
	'longest streak: three days of 4-6 April');
insert into workouts (id, user_id, date, total_tu)
values ('workout_pgtap33_s3', 'user_pgtap33a', '2026-04-03', 1);
select is(pg_temp.metric('user_pgtap33a', 'streak_days'), 6::bigint,
	'a day that joins two runs makes one of six');
insert into workouts (id, user_id, date, total_tu)
values ('workout_pgtap33_s3b', 'user_pgtap33a', '2026-04-03', 1);
delete from workouts where id = 'workout_pgtap33_s3';
select is(pg_temp.metric('user_pgtap33a', 'streak_days'), 6::bigint,
	'a day that keeps a workout stays in the run');
delete from workouts where id = 'workout_pgtap33_s3b';
select is(pg_temp.metric('user_pgtap33a', 'streak_days'), 3::bigint,
	'a day gone splits the run again');

-- High-fives sent.
insert into high_fives (id, sender_id, recipient_id)
values ('hf_pgtap33_1', 'user_pgtap33a', 'user_pgtap33b'),
       ('hf_pgtap33_2', 'user_pgtap33a', 'user_pgtap33b'),
       ('hf_pgtap33_3', 'user_pgtap33b', 'user_pgtap33a');
delete from high_fives where id = 'hf_pgtap33_2';
select is(pg_temp.metric('user_pgtap33a', 'high_fives_sent'), 1::bigint,
	'high_fives_sent counts inserts and deletes');

-- activity_after: the first workout milestone, once.
select is((select jsonb_agg(e -> 'payload' ->> 'milestoneId' order by e -> 'payload' ->> 'milestoneId')
	     from jsonb_array_elements(activity_after('user_pgtap33b')) e),
	'["ms_first_workout"]'::jsonb,
	'activity_after emits the milestone reached');
select is(activity_after('user_pgtap33b'), '[]'::jsonb,
	'and not again');

delete from users where id = 'user_pgtap33b';
select is((select count(*) from user_activity_totals where user_id = 'user_pgtap33b')
	  + (select count(*) from user_training_days where user_id = 'user_pgtap33b'), 0::bigint,
	'a deleted user''s totals and days go with it');

-- Whole-table check: every user's kept totals equal a fresh summation.
select is((select count(*) from users u
	    cross join lateral pg_temp.kept(u.id) k
	    cross join lateral pg_temp.fresh(u.id) f
	    where row(k.*) is distinct from row(f.*)), 0::bigint,
	'every user''s totals equal a fresh summation');
select is((select count(*) from users u
	    left join user_activity_totals t on t.user_id = u.id
	    where coalesce(t.longest_streak, 0) <> activity_longest_streak(u.id)
	       or coalesce(t.high_fives_sent, 0) <> (select count(*) from high_fives h
							where h.sender_id = u.id)), 0::bigint,
	'every user''s longest streak and high-fives sent equal a fresh count');

select * from finish();
rollback;
