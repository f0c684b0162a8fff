-- update_credit_balance() (API §1.9, §5.6): credit, debit, insufficient
-- credits (nothing written), idempotent replay, version mismatch, a user
-- without a balance row, unknown users, keys of other users, and the
-- ledger invariants balance = sum(amounts) = last balance_after,
-- lifetime counters and version. Creates its own users; needs no seed data.
-- (Concurrent callers cannot be exercised from a single pgTAP session.)

begin;
select plan(54);

insert into users (id, email, username, password_hash)
values ('user_pgtap04a', 'pgtap04a@test.invalid', 'pgtap04a', 'x'),
       ('user_pgtap04b', 'pgtap04b@test.invalid', 'pgtap04b', 'x'),
       ('user_pgtap04c', 'pgtap04c@test.invalid', 'pgtap04c', 'x');

create temp table r (
	label         text primary key,
	success       boolean,
	new_balance   integer,
	entry_id      text,
	error_message text,
	existing      boolean
) on commit drop;

-- A credit for a user without a balance row creates the row.
select is((select count(*)::int from credit_balances where user_id = 'user_pgtap04a'), 0,
	'user A starts without a balance row');
insert into r select 'signup', * from update_credit_balance(
	'user_pgtap04a', 100, 'signup_bonus', null, 'user_pgtap04a:signup');
select is((select success from r where label = 'signup'), true, 'credit succeeds');
select is((select new_balance from r where label = 'signup'), 100, 'credit returns the new balance');
select matches((select entry_id from r where label = 'signup'), '^txn_[0-9a-f]{32}$',
	'credit returns the txn_ ledger id');
select is((select error_message from r where label = 'signup'), null, 'no error on success');
select is((select existing from r where label = 'signup'), false, 'a new key is not existing');
select is(
	(select (balance, lifetime_earned, lifetime_spent, version)::text
	   from credit_balances where user_id = 'user_pgtap04a'),
	'(100,100,0,1)', 'balance row created: 100 earned, version 1');
select is(
	(select (action, amount, balance_after, idempotency_key)::text
	   from credit_ledger where id = (select entry_id from r where label = 'signup')),
	'(signup_bonus,100,100,user_pgtap04a:signup)', 'one ledger row with the credit');

-- A debit with metadata.
insert into r select 'workout', * from update_credit_balance(
	'user_pgtap04a', -25, 'workout', '{"workoutId":"workout_x"}', 'user_pgtap04a:w1');
select is((select (success, new_balance, existing)::text from r where label = 'workout'),
	'(t,75,f)', 'debit succeeds with the new balance');
select is((select metadata from credit_ledger
            where id = (select entry_id from r where label = 'workout')),
	'{"workoutId":"workout_x"}'::jsonb, 'the ledger row keeps the metadata');
select is(
	(select (balance, lifetime_earned, lifetime_spent, version)::text
	   from credit_balances where user_id = 'user_pgtap04a'),
	'(75,100,25,2)', 'debit counts as spent and bumps the version');

-- Idempotent replay.
insert into r select 'workout-replay', * from update_credit_balance(
	'user_pgtap04a', -25, 'workout', '{"workoutId":"workout_x"}', 'user_pgtap04a:w1');
select is((select success from r where label = 'workout-replay'), true, 'replay succeeds');
select is((select existing from r where label = 'workout-replay'), true, 'replay is existing');
select is((select entry_id from r where label = 'workout-replay'),
	(select entry_id from r where label = 'workout'), 'replay returns the original ledger id');
select is((select new_balance from r where label = 'workout-replay'), 75,
	'replay returns the original balance_after');
select is((select count(*)::int from credit_ledger where idempotency_key = 'user_pgtap04a:w1'), 1,
	'replay writes no second ledger row');
select is(
	(select (balance, version)::text from credit_balances where user_id = 'user_pgtap04a'),
	'(75,2)', 'replay changes neither balance nor version');
insert into r select 'bonus', * from update_credit_balance(
	'user_pgtap04a', 10, 'milestone_reward', null, 'user_pgtap04a:ms1');
insert into r select 'workout-replay2', * from update_credit_balance(
	'user_pgtap04a', -999, 'other', null, 'user_pgtap04a:w1');
select is((select (success, new_balance, existing)::text from r where label = 'workout-replay2'),
	'(t,75,t)', 'a later replay (any amount) still returns the original row''s balance_after');
select is((select balance from credit_balances where user_id = 'user_pgtap04a'), 85,
	'balance is untouched by the later replay');

-- Insufficient credits: nothing written, key stays unused.
insert into r select 'too-much', * from update_credit_balance(
	'user_pgtap04a', -86, 'charge', null, 'user_pgtap04a:big');
select is((select success from r where label = 'too-much'), false, 'overdraft fails');
select is((select error_message from r where label = 'too-much'), 'insufficient_credits',
	'overdraft reports insufficient_credits');
select is((select new_balance from r where label = 'too-much'), 85,
	'overdraft returns the current balance');
select is((select entry_id from r where label = 'too-much'), null, 'overdraft has no ledger id');
select is((select existing from r where label = 'too-much'), false, 'overdraft is not existing');
select is((select count(*)::int from credit_ledger where idempotency_key = 'user_pgtap04a:big'), 0,
	'overdraft writes no ledger row');
select is(
	(select (balance, lifetime_spent, version)::text from credit_balances
	  where user_id = 'user_pgtap04a'),
	'(85,25,3)', 'overdraft changes no balance, counter or version');
insert into r select 'big-later', * from update_credit_balance(
	'user_pgtap04a', -85, 'charge', null, 'user_pgtap04a:big');
select is((select (success, new_balance, existing)::text from r where label = 'big-later'),
	'(t,0,f)', 'the unused key works later; spending down to exactly 0 is allowed');

-- Optimistic lock.
insert into r select 'stale', * from update_credit_balance(
	'user_pgtap04a', 5, 'refund', null, 'user_pgtap04a:v', 1);
select is((select (success, new_balance, error_message, existing)::text from r where label = 'stale'),
	'(f,0,version_mismatch,f)', 'a stale expected version is rejected');
select is((select count(*)::int from credit_ledger where idempotency_key = 'user_pgtap04a:v'), 0,
	'version mismatch writes nothing');
insert into r select 'fresh', * from update_credit_balance(
	'user_pgtap04a', 5, 'refund', null, 'user_pgtap04a:v',
	(select version from credit_balances where user_id = 'user_pgtap04a'));
select is((select (success, new_balance)::text from r where label = 'fresh'),
	'(t,5)', 'the current expected version is accepted');

-- Invalid amounts.
insert into r select 'zero', * from update_credit_balance(
	'user_pgtap04a', 0, 'noop', null, 'user_pgtap04a:zero');
select is((select (success, new_balance, error_message, existing)::text from r where label = 'zero'),
	'(f,5,invalid_amount,f)', 'amount 0 is invalid_amount');
select is((select count(*)::int from credit_ledger where idempotency_key = 'user_pgtap04a:zero'), 0,
	'amount 0 writes nothing');

-- Unknown user.
insert into r select 'ghost', * from update_credit_balance(
	'user_nobody', 10, 'gift', null, 'user_nobody:k');
select is((select (success, error_message, existing)::text from r where label = 'ghost'),
	'(f,user_not_found,f)', 'unknown user is user_not_found');
select is((select count(*)::int from credit_balances where user_id = 'user_nobody'), 0,
	'no balance row for an unknown user');

-- A key used by another user.
insert into r select 'b-steals', * from update_credit_balance(
	'user_pgtap04b', 10, 'gift', null, 'user_pgtap04a:signup');
select is((select (success, error_message, existing)::text from r where label = 'b-steals'),
	'(f,idempotency_key_conflict,f)', 'another user''s key is a conflict');
select is((select count(*)::int from credit_ledger where user_id = 'user_pgtap04b'), 0,
	'the conflict writes nothing for user B');

-- Per-user key forms do not collide.
insert into r select 'b-signup', * from update_credit_balance(
	'user_pgtap04b', 100, 'signup_bonus', null, 'user_pgtap04b:signup');
select is((select (success, new_balance, existing)::text from r where label = 'b-signup'),
	'(t,100,f)', 'the same client key scoped to user B is a new operation');

-- Debit from a user without a balance row.
insert into r select 'c-debit', * from update_credit_balance(
	'user_pgtap04c', -1, 'prescription', null, 'user_pgtap04c:rx');
select is((select (success, new_balance, error_message)::text from r where label = 'c-debit'),
	'(f,0,insufficient_credits)', 'a debit for a user without a balance row is insufficient');
select is(
	(select (balance, version)::text from credit_balances where user_id = 'user_pgtap04c'),
	'(0,0)', 'a zero balance row was created for user C');
select is((select count(*)::int from credit_ledger where user_id = 'user_pgtap04c'), 0,
	'no ledger row for user C');

-- Calls without an idempotency key are not deduplicated.
insert into r select 'c-nokey-1', * from update_credit_balance(
	'user_pgtap04c', 7, 'gift', null, null);
insert into r select 'c-nokey-2', * from update_credit_balance(
	'user_pgtap04c', 7, 'gift', null, null);
select is((select new_balance from r where label = 'c-nokey-2'), 14,
	'two calls without a key both apply');
select isnt((select entry_id from r where label = 'c-nokey-1'),
	(select entry_id from r where label = 'c-nokey-2'), 'and write two ledger rows');

-- Ledger invariants for every user touched here.
select is(
	(select count(*)::int
	   from credit_balances b
	  where b.user_id like 'user_pgtap04%'
	    and b.balance is distinct from
	        (select coalesce(sum(l.amount), 0) from credit_ledger l where l.user_id = b.user_id)),
	0, 'balance = sum of ledger amounts');
select is(
	(select count(*)::int
	   from credit_balances b
	  where b.user_id like 'user_pgtap04%'
	    and exists (select 1 from credit_ledger l where l.user_id = b.user_id)
	    and b.balance is distinct from
	        (select l.balance_after from credit_ledger l
	          where l.user_id = b.user_id
	          order by l.created_at desc limit 1)),
	0, 'balance = balance_after of the newest ledger row');
select is(
	(select count(*)::int
	   from credit_balances b
	  where b.user_id like 'user_pgtap04%'
	    and (b.lifetime_earned::bigint, b.lifetime_spent::bigint) is distinct from
	        (select (coalesce(sum(l.amount) filter (where l.amount > 0), 0),
	                 coalesce(-sum(l.amount) filter (where l.amount < 0), 0))
	           from credit_ledger l where l.user_id = b.user_id)),
	0, 'lifetime_earned = sum of credits, lifetime_spent = sum of debits');
select is(
	(select count(*)::int
	   from credit_balances b
	  where b.user_id like 'user_pgtap04%'
	    and b.version <> (select count(*) from credit_ledger l where l.user_id = b.user_id)),
	0, 'version counts the changes');
select is(
	(select count(*)::int
	   from (select l.amount, l.balance_after,
	                lag(l.balance_after, 1, 0) over w as before,
	                lag(l.created_at) over w as prev_at, l.created_at
	           from credit_ledger l
	          where l.user_id like 'user_pgtap04%'
	         window w as (partition by l.user_id order by l.created_at)) s
	  where s.balance_after <> s.before + s.amount
	     or s.created_at <= s.prev_at),
	0, 'each row''s balance_after = previous balance_after + amount, in created_at order');
select is(
	(select count(*)::int from credit_ledger where user_id like 'user_pgtap04%' and balance_after < 0),
	0, 'no balance_after is negative');
select is(
	(select (balance, lifetime_earned, lifetime_spent)::text
	   from credit_balances where user_id = 'user_pgtap04a'),
	'(5,115,110)', 'user A: 100 + 10 + 5 earned, 25 + 85 spent');
select is(
	(select count(*)::int from credit_ledger where user_id = 'user_pgtap04a'),
	5, 'user A has exactly one ledger row per applied change');

-- Large values are refused rather than overflowing.
insert into r select 'overflow', * from update_credit_balance(
	'user_pgtap04b', 2147483647, 'gift', null, 'user_pgtap04b:overflow');
select is((select (success, error_message)::text from r where label = 'overflow'),
	'(f,invalid_amount)', 'a credit that would overflow the balance is invalid_amount');
insert into r select 'min-int', * from update_credit_balance(
	'user_pgtap04b', -2147483648, 'charge', null, 'user_pgtap04b:min');
select is((select (success, error_message)::text from r where label = 'min-int'),
	'(f,insufficient_credits)', 'the most negative amount is insufficient, not an error');
select lives_ok(
	$$select * from update_credit_balance('user_pgtap04b', 1, 'gift', null,
	      'user_pgtap04b:again', null)$$,
	'the explicit NULL expected version skips the version check');
select is((select balance from credit_balances where user_id = 'user_pgtap04b'), 101,
	'user B balance after the checks');

select * from finish();
rollback;
