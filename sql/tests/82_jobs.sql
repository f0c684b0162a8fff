-- The scheduled jobs' batch functions (sql/functions/jobs.sql): the lock
-- key, the batch protocol (processed / changed / next cursor), dry runs
-- that write nothing, idempotent second runs, and RANK() across batch
-- boundaries in the leaderboard snapshot. The test users' ids sort after
-- every real id ('zz_...'), so a cursor just before them limits each
-- batch to this test's rows.

begin;
select plan(27);

insert into users (id, email, username, password_hash)
values ('zz_pgtap82_a', 'pgtap82a@test.invalid', 'pgtap82a', 'x'),
       ('zz_pgtap82_b', 'pgtap82b@test.invalid', 'pgtap82b', 'x'),
       ('zz_pgtap82_c', 'pgtap82c@test.invalid', 'pgtap82c', 'x');
insert into workouts (user_id, date, total_tu, exercise_data, muscle_activations)
select 'zz_pgtap82_a', job_day(null) - d, 10, '[]', '{"chest-mid": 10}'
  from generate_series(0, 2) d;
insert into workouts (user_id, date, total_tu, exercise_data, muscle_activations)
values ('zz_pgtap82_b', job_day(null) - 5, 20, '[]', '{"lats": 20}');

-- The lock.
select isnt(job_lock_key('check-streaks'), job_lock_key('expire-challenges'),
	'each job has its own lock');
select is(job_lock_key('check-streaks'), job_lock_key('check-streaks'), 'stable key');
select is(job_try_lock('pgtap-82'), true, 'the lock is free');
select is((select count(*)::int from pg_locks where locktype = 'advisory'
	    and pid = pg_backend_pid() and granted), 1, 'held by this session');
select is(pg_advisory_unlock(job_lock_key('pgtap-82')), true, 'released');

-- check-streaks: dry run, run, second run.
-- A dry run is the call in a transaction rolled back (lib/db.c DB_DRY_RUN).
savepoint dry;
select is(job_check_streaks('zz_pgtap82', 10, null, null),
	'{"processed": 3, "changed": 2, "next": null}'::jsonb,
	'dry run: 3 users looked at, 2 would change');
rollback to savepoint dry;
select is((select count(*)::int from user_streaks where user_id like 'zz_pgtap82%'), 0,
	'dry run wrote nothing');
select is(job_check_streaks('zz_pgtap82', 10, null, null),
	'{"processed": 3, "changed": 2, "next": null}'::jsonb, 'run');
select is((select (current_streak, longest_streak, last_workout_date)::text
	     from user_streaks where user_id = 'zz_pgtap82_a'),
	format('(3,3,%s)', job_day(null)), 'streak of 3 ending today');
select is((select (current_streak, longest_streak)::text
	     from user_streaks where user_id = 'zz_pgtap82_b'), '(0,1)', 'broken streak');
select is(job_check_streaks('zz_pgtap82', 10, null, null),
	'{"processed": 3, "changed": 0, "next": null}'::jsonb, 'second run changes nothing');
select is(job_check_streaks('zz_pgtap82', 2, null, null),
	'{"processed": 2, "changed": 0, "next": "zz_pgtap82_b"}'::jsonb,
	'a full batch hands back the last id as the cursor');
select is(job_check_streaks('zz_pgtap82_b', 2, null, null),
	'{"processed": 1, "changed": 0, "next": null}'::jsonb, 'the last batch ends it');
select is(job_check_streaks('zz_pgtap82', 10, job_day(null) + 2, null) ->> 'changed',
	'1', '--date: two days later the streak is broken');

-- Daily challenges.
insert into daily_challenges (id, user_id, challenge_date, kind, target, title)
values ('zz_dch_1', 'zz_pgtap82_a', job_day(null) - 1, 'workout', 1, 't'),
       ('zz_dch_2', 'zz_pgtap82_b', job_day(null) - 1, 'tu', 5, 't'),
       ('zz_dch_3', 'zz_pgtap82_c', job_day(null), 'workout', 1, 't');
savepoint dry;
select is(job_expire_challenges('zz_dch', 10, null, null),
	'{"processed": 2, "changed": 2, "next": null}'::jsonb, 'dry run counts past days only');
rollback to savepoint dry;
select is((select count(*)::int from daily_challenges
	    where id like 'zz_dch%' and status = 'active'), 3, 'dry run closed nothing');
select is(job_expire_challenges('zz_dch', 10, null, null) ->> 'changed', '2', 'run');
select is((select array_agg(status || ':' || progress order by id) from daily_challenges
	    where id like 'zz_dch%'),
	array['completed:1.00', 'expired:0.00', 'active:0.00'], 'closed by the day''s data');
select is(job_expire_challenges('zz_dch', 10, null, null) ->> 'changed', '0',
	'second run changes nothing');
select is(job_assign_daily_challenges('zz_pgtap82', 10, null, null) ->> 'changed',
	'2', 'the two recently active users (the third has one already)');
select is(job_assign_daily_challenges('zz_pgtap82', 10, null, null) ->> 'changed',
	'0', 'second run changes nothing');

-- Leaderboard ranks across batch boundaries.
insert into leaderboard_snapshots (id, board, period_start, period_end)
values ('zz_lbs', 'weekly', date '2999-01-01' - 7, date '2999-01-01' - 1);
insert into leaderboard_snapshot_entries (snapshot_id, user_id, total_tu, workout_count)
values ('zz_lbs', 'zz_pgtap82_a', 50.00, 1), ('zz_lbs', 'zz_pgtap82_b', 50.00, 1),
       ('zz_lbs', 'zz_pgtap82_c', 10.00, 1);
select is(job_leaderboard_rank(null, 1, date '2999-01-01', 'weekly'),
	'{"processed": 1, "changed": 1, "next": "50.00|zz_pgtap82_a|1|1"}'::jsonb,
	'first batch of one');
select is(job_leaderboard_rank('50.00|zz_pgtap82_a|1|1', 1, date '2999-01-01',
	'weekly') ->> 'next', '50.00|zz_pgtap82_b|2|1', 'a tie keeps its rank across batches');
select is(job_leaderboard_rank('50.00|zz_pgtap82_b|2|1', 1, date '2999-01-01',
	'weekly') ->> 'next', '10.00|zz_pgtap82_c|3|3', 'then RANK() skips');
select is(job_leaderboard_rank('10.00|zz_pgtap82_c|3|3', 1, date '2999-01-01',
	'weekly'), '{"processed": 0, "changed": 1, "next": null}'::jsonb,
	'an empty batch completes the snapshot');
select is((select (status, entries)::text from leaderboard_snapshots where id = 'zz_lbs'),
	'(complete,3)', 'complete with its entry count');
select is(job_leaderboard_rank(null, 1, date '2999-01-01', 'weekly'),
	'{"processed": 0, "changed": 0, "next": null}'::jsonb, 'a complete snapshot is final');

select * from finish();
rollback;
