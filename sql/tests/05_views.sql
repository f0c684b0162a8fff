-- The active_users and leaderboard views: rows come back, banned users are
-- excluded (a missing "banned" flag counts as false), private workouts do
-- not count on the leaderboard, ties share a RANK(). Creates its own users
-- and workouts; other rows in the database do not affect the checks.

begin;
select plan(27);

insert into users (id, email, username, password_hash, flags)
values ('user_pgtap05a', 'pgtap05a@test.invalid', 'pgtap05a', 'x', default),
       ('user_pgtap05b', 'pgtap05b@test.invalid', 'pgtap05b', 'x', default),
       ('user_pgtap05c', 'pgtap05c@test.invalid', 'pgtap05c', 'x',
        '{"verified":false,"banned":true,"suspended":false,"emailConfirmed":false}'),
       ('user_pgtap05d', 'pgtap05d@test.invalid', 'pgtap05d', 'x', '{}'),
       ('user_pgtap05e', 'pgtap05e@test.invalid', 'pgtap05e', 'x',
        '{"verified":false,"banned":false,"suspended":true,"emailConfirmed":false}'),
       ('user_pgtap05f', 'pgtap05f@test.invalid', 'pgtap05f', 'x', default),
       ('user_pgtap05g', 'pgtap05g@test.invalid', 'pgtap05g', 'x', default);

insert into workouts (user_id, date, total_tu, is_public)
values ('user_pgtap05a', (now() at time zone 'UTC')::date, 100.5, true),
       ('user_pgtap05a', (now() at time zone 'UTC')::date - 3, 50, true),
       ('user_pgtap05a', (now() at time zone 'UTC')::date - 10, 1000, false),
       ('user_pgtap05b', (now() at time zone 'UTC')::date, 150.5, true),
       ('user_pgtap05c', (now() at time zone 'UTC')::date, 5000, true),
       ('user_pgtap05d', (now() at time zone 'UTC')::date, 10, true),
       ('user_pgtap05e', (now() at time zone 'UTC')::date, 20, true),
       ('user_pgtap05g', (now() at time zone 'UTC')::date, 91.67, true),
       ('user_pgtap05g', (now() at time zone 'UTC')::date, 0.1, true),
       ('user_pgtap05g', (now() at time zone 'UTC')::date, 0.2, true);

create temp table pgtap05_r on commit drop as
select * from update_credit_balance('user_pgtap05a', 100, 'signup_bonus', null,
    'user_pgtap05a:signup');

-- leaderboard
select cmp_ok((select count(*)::int from leaderboard), '>=', 6, 'leaderboard returns rows');
select is((select total_tu from leaderboard where user_id = 'user_pgtap05a'), 150.5::numeric,
	'only public workouts count');
select is((select workout_count from leaderboard where user_id = 'user_pgtap05a'), 2::bigint,
	'workout_count counts public workouts');
select is((select rank from leaderboard where user_id = 'user_pgtap05b'),
	(select rank from leaderboard where user_id = 'user_pgtap05a'),
	'equal totals share a rank');
select is((select count(*)::int from leaderboard where user_id = 'user_pgtap05c'), 0,
	'banned users are excluded');
select is((select count(*)::int from leaderboard where user_id = 'user_pgtap05d'), 1,
	'a user whose flags lack "banned" is included');
select is((select count(*)::int from leaderboard where user_id = 'user_pgtap05e'), 1,
	'suspended (not banned) users stay on the leaderboard');
select is(
	(select (total_tu, workout_count)::text from leaderboard where user_id = 'user_pgtap05f'),
	'(0.00,0)', 'users without workouts have 0 TU and 0 workouts');
select cmp_ok((select rank from leaderboard where user_id = 'user_pgtap05d'), '>',
	(select rank from leaderboard where user_id = 'user_pgtap05a'),
	'less TU ranks lower');
select is(
	(select count(*)::int
	   from leaderboard l
	  where l.user_id like 'user_pgtap05%'
	    and l.rank <> 1 + (select count(*) from leaderboard o where o.total_tu > l.total_tu)),
	0, 'rank is SQL RANK() over total_tu desc');
select is((select total_tu from leaderboard where user_id = 'user_pgtap05g'), 91.97::numeric,
	'totals are rounded to 2 decimals');
select is(
	(select array_agg(user_id order by ord)
	   from (select user_id, row_number() over () as ord
	           from leaderboard) s
	  where user_id in ('user_pgtap05a', 'user_pgtap05d', 'user_pgtap05f', 'user_pgtap05g')),
	array['user_pgtap05a', 'user_pgtap05g', 'user_pgtap05d', 'user_pgtap05f'],
	'the view is ordered by total_tu desc');
select is(
	(select (username, current_level)::text from leaderboard where user_id = 'user_pgtap05a'),
	'(pgtap05a,1)', 'profile columns come from users');
select has_column('leaderboard', 'avatar_url', 'leaderboard has avatar_url');

-- active_users
select cmp_ok((select count(*)::int from active_users), '>=', 4, 'active_users returns rows');
select is((select count(*)::int from active_users where id = 'user_pgtap05a'), 1,
	'a regular user is active');
select is((select count(*)::int from active_users where id = 'user_pgtap05c'), 0,
	'banned users are not active');
select is((select count(*)::int from active_users where id = 'user_pgtap05e'), 0,
	'suspended users are not active');
select is((select count(*)::int from active_users where id = 'user_pgtap05d'), 1,
	'missing flags count as false');
select is((select credit_balance from active_users where id = 'user_pgtap05a'), 100,
	'credit_balance comes from credit_balances');
select is((select credit_balance from active_users where id = 'user_pgtap05f'), null,
	'credit_balance is NULL without a balance row');
select is((select workouts_this_week from active_users where id = 'user_pgtap05a'), 2::bigint,
	'workouts_this_week counts the last 7 days');
select is((select total_tu from active_users where id = 'user_pgtap05a'), 1150.5::numeric,
	'active_users.total_tu counts every workout');
select is((select total_tu from active_users where id = 'user_pgtap05f'), 0::numeric,
	'active_users.total_tu is 0 without workouts');

-- Banning takes effect immediately.
update users set flags = flags || '{"banned":true}' where id = 'user_pgtap05b';
select is((select count(*)::int from leaderboard where user_id = 'user_pgtap05b'), 0,
	'a newly banned user leaves the leaderboard');
select is((select count(*)::int from active_users where id = 'user_pgtap05b'), 0,
	'and active_users');
update users set flags = '{"banned":null}' where id = 'user_pgtap05d';
select is((select count(*)::int from leaderboard where user_id = 'user_pgtap05d'), 1,
	'a JSON null "banned" counts as not banned');

select * from finish();
rollback;
