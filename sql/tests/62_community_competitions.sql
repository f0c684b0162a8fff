-- Competitions (API §7.6): fees charged once per join, refunded once.

begin;
select plan(10);

insert into users (id, email, username, password_hash)
values ('user_pgtap62c', 'pgtap62c@test.invalid', 'pgtap62c', 'x'),
       ('user_pgtap62u', 'pgtap62u@test.invalid', 'pgtap62u', 'x');
create temp table t62r on commit drop as
select * from update_credit_balance('user_pgtap62u', 100, 'signup_bonus', null, 'user_pgtap62u:signup');

create temp table t62 on commit drop as
select (competition_create('user_pgtap62c', 'C62', null, 'total_tu',
	(now() + interval '1 day')::text, (now() + interval '2 days')::text,
	null, 40, null, true)::jsonb)->>'id' as id;

select is((select status from competitions where id = (select id from t62)), 'draft',
	'a future competition starts as draft');
select throws_ok($$select competition_create('user_pgtap62c', 'x', null, 'workouts',
	now()::text, now()::text, null, 0, null, true)$$, 'MM400', null, 'endDate must be after startDate');
select is((competition_join((select id from t62), 'user_pgtap62u')::jsonb)->>'entryFeeCharged', '40',
	'joining charges the fee');
select is((competition_join((select id from t62), 'user_pgtap62u')::jsonb)->>'alreadyJoined', 'true',
	'joining again charges nothing');
select is((select balance from credit_balances where user_id = 'user_pgtap62u'), 60, 'charged once');
select is((competition_leave((select id from t62), 'user_pgtap62u')::jsonb)->>'refunded', '40',
	'leaving refunds');
select is((competition_join((select id from t62), 'user_pgtap62u')::jsonb)->>'entryFeeCharged', '40',
	'rejoining charges again');
select is((competition_cancel((select id from t62), 'user_pgtap62c')::jsonb)->>'refunded', '40',
	'cancel refunds every fee');
select is((competition_cancel((select id from t62), 'user_pgtap62c')::jsonb)->>'refunded', '0',
	'canceling again refunds nothing');
select is((select sum(amount)::int from credit_ledger where user_id = 'user_pgtap62u'), 100,
	'the ledger balances: every charge was refunded exactly once');

select * from finish();
rollback;
