-- Stored prescriptions (API §6.7, §6.8): prescription_create charges the
-- free tier 1 credit through update_credit_balance and nothing for
-- unlimited users (trial, active subscription), refuses without enough
-- credits (nothing stored), replays an idempotency key without a second
-- charge (keys are per user), stores seconds and reports minutes;
-- prescription_get is owner-only and adds the constraints;
-- prescription_create_free stores what costs nothing (unlimited users,
-- replays) in one call and leaves the free tier to prescription_create.
-- Creates its own
-- users; uses the credit_actions seed row for the cost when present (1).

begin;
select plan(41);

insert into users (id, email, username, password_hash, trial_started_at, trial_ends_at)
values ('user_pgtap51free', 'pgtap51free@test.invalid', 'pgtap51free', 'x',
        now() - interval '100 days', now() - interval '10 days'),
       ('user_pgtap51poor', 'pgtap51poor@test.invalid', 'pgtap51poor', 'x',
        now() - interval '100 days', now() - interval '10 days'),
       ('user_pgtap51trial', 'pgtap51trial@test.invalid', 'pgtap51trial', 'x',
        now(), now() + interval '90 days'),
       ('user_pgtap51sub', 'pgtap51sub@test.invalid', 'pgtap51sub', 'x',
        now() - interval '100 days', now() - interval '10 days');
do $$ begin perform update_credit_balance('user_pgtap51free', 2, 'signup_bonus', null,
	'user_pgtap51free:signup'); end $$;
insert into credit_balances (user_id, balance) values ('user_pgtap51poor', 0);
insert into subscriptions (user_id, stripe_subscription_id, status)
values ('user_pgtap51sub', 'sub_pgtap51', 'active');

create temp table r (label text primary key, doc jsonb) on commit drop;
create temp table plan_parts as
select '{"duration":30,"location":"home","equipment":[],"muscleTargets":["Chest"],"excludeExercises":[],"excludeMuscles":[],"goals":[],"fitnessLevel":null,"preferCompound":null}'::jsonb as cons,
       '[{"exerciseId":"bw-pushup","name":"Push-Up","sets":3,"reps":"8-12","restSeconds":60,"estimatedSeconds":30}]'::jsonb as ex,
       '[{"exerciseId":null,"type":"cardio","description":"Jog","duration":180}]'::jsonb as wu,
       '[{"exerciseId":null,"type":"static_stretch","description":"Stretch","duration":180}]'::jsonb as cd,
       '{"bw-pushup":["bw-knee-pushup"]}'::jsonb as subs,
       '{"chest-mid":63.5}'::jsonb as cov,
       630 as secs;

-- Free tier: one credit, one ledger row.
insert into r select 'free', prescription_create('user_pgtap51free', cons, ex, wu, cd, subs,
	cov, secs, 'key-1')::jsonb from plan_parts;
select matches((select doc->>'id' from r where label = 'free'), '^rx_[0-9a-f]{32}$', 'rx_ id');
select is((select doc - 'id' - 'createdAt' from r where label = 'free'),
	(select jsonb_build_object('exercises', ex, 'warmup', wu, 'cooldown', cd,
	    'substitutions', subs, 'muscleCoverage', cov, 'estimatedDuration', 11,
	    'creditCost', 1) from plan_parts),
	'the §6.7 document; 630 s is 11 minutes, rounded up');
select matches((select doc->>'createdAt' from r where label = 'free'),
	'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$', 'createdAt is ISO UTC');
select is((select (estimated_duration, actual_duration, credit_cost, idempotency_key)::text
	     from prescriptions where id = (select doc->>'id' from r where label = 'free')),
	'(630,630,1,key-1)', 'stored in seconds with its cost and key');
select is((select balance from credit_balances where user_id = 'user_pgtap51free'), 1,
	'charged 1 credit');
select is((select (action, amount, balance_after, metadata, idempotency_key)::text
	     from credit_ledger where user_id = 'user_pgtap51free' and action = 'prescription'),
	(select ('prescription', -1, 1, jsonb_build_object('prescriptionId', doc->>'id'),
	         'user_pgtap51free:prescription:key-1')::text from r where label = 'free'),
	'ledger: action prescription, -1, prescriptionId, per-user key');

-- Replay: same prescription, no second charge.
insert into r select 'replay', prescription_create('user_pgtap51free', cons, '[]', wu, cd,
	subs, cov, 999, 'key-1')::jsonb from plan_parts;
select is((select doc from r where label = 'replay'), (select doc from r where label = 'free'),
	'a replayed key answers the original');
select is((select count(*)::int from prescriptions where user_id = 'user_pgtap51free'), 1,
	'nothing stored again');
select is((select balance from credit_balances where user_id = 'user_pgtap51free'), 1,
	'nothing charged again');
select is(prescription_replay('user_pgtap51free', 'key-1')::jsonb,
	(select doc from r where label = 'free'), 'prescription_replay finds it');
select is(prescription_replay('user_pgtap51free', 'key-2')::text, null, 'an unused key: NULL');
select is(prescription_replay('user_pgtap51trial', 'key-1')::text, null, 'keys are per user');

-- Without a key: charged each time.
insert into r select 'nokey', prescription_create('user_pgtap51free', cons, ex, wu, cd, subs,
	cov, secs, null)::jsonb from plan_parts;
select is((select balance from credit_balances where user_id = 'user_pgtap51free'), 0,
	'a second prescription costs another credit');
select is((select idempotency_key from credit_ledger
	    where metadata->>'prescriptionId' = (select doc->>'id' from r where label = 'nokey')),
	(select 'user_pgtap51free:prescription:' || (doc->>'id') from r where label = 'nokey'),
	'without a client key the ledger key is derived from the prescription id');

-- Not enough credits: MM402 with the contract's message, nothing stored.
select throws_ok($$select prescription_create('user_pgtap51free', cons, ex, wu, cd, subs, cov,
	secs, 'key-3') from plan_parts$$, 'MM402', 'You need 1 credits but only have 0',
	'insufficient credits');
select throws_ok($$select prescription_create('user_pgtap51poor', cons, ex, wu, cd, subs, cov,
	secs, null) from plan_parts$$, 'MM402', 'You need 1 credits but only have 0',
	'insufficient credits for a user who never had any');
select is((select count(*)::int from prescriptions
	    where user_id in ('user_pgtap51free', 'user_pgtap51poor')), 2,
	'a refused prescription is not stored');
select is(prescription_replay('user_pgtap51free', 'key-3')::text, null,
	'and its key stays unused');

-- Unlimited users pay nothing.
insert into r select 'trial', prescription_create('user_pgtap51trial', cons, ex, wu, cd, subs,
	cov, secs, 'key-1')::jsonb from plan_parts;
select is((select (doc->>'creditCost')::int from r where label = 'trial'), 0, 'trial: creditCost 0');
insert into r select 'sub', prescription_create('user_pgtap51sub', cons, ex, wu, cd, subs,
	cov, secs, null)::jsonb from plan_parts;
select is((select (doc->>'creditCost')::int from r where label = 'sub'), 0,
	'active subscription: creditCost 0');
select is((select count(*)::int from credit_ledger
	    where user_id in ('user_pgtap51trial', 'user_pgtap51sub')), 0,
	'no ledger rows for unlimited users');
select ok((select doc->>'id' from r where label = 'trial')
	  <> (select doc->>'id' from r where label = 'free'),
	'the same key from another user is another prescription');

-- GET (§6.8): owner only, with the constraints.
select is(prescription_get('user_pgtap51free', (select doc->>'id' from r where label = 'free'))::jsonb,
	(select doc || jsonb_build_object('constraints', cons) from r, plan_parts where label = 'free'),
	'the owner gets the document plus constraints');
select throws_ok(format($$select prescription_get('user_pgtap51trial', %L)$$,
	(select doc->>'id' from r where label = 'free')), 'MM404', 'Prescription not found',
	'another user: MM404');
select throws_ok($$select prescription_get('user_pgtap51free', 'rx_nope')$$, 'MM404',
	'Prescription not found', 'unknown id: MM404');
select throws_ok($$select prescription_create('user_pgtap51gone', cons, ex, wu, cd, subs, cov,
	secs, null) from plan_parts$$, 'MM401', 'Your account no longer exists',
	'unknown user: MM401');

-- Every charged prescription above commits synchronously, like every
-- credit movement; so does a free-tier call of prescription_create_free,
-- which stores nothing.
select is(current_setting('synchronous_commit'), 'on',
	'charged prescriptions leave synchronous commit on');
select is((select prescription_create_free('user_pgtap51free', cons, ex, wu, cd, subs, cov, secs,
	'key-sync')::text from plan_parts), null, 'free tier: NULL, nothing stored');
select is(current_setting('synchronous_commit'), 'on',
	'the free tier answer leaves synchronous commit on');

-- prescription_create_free: unlimited users are stored at creditCost 0 in
-- one call, a replayed key answers the original, the free tier gets NULL
-- and nothing is stored.  The transaction that stores an unlimited plan
-- commits without waiting for the WAL flush (checked at the end).
insert into r select 'free-trial', prescription_create_free('user_pgtap51trial', cons, ex, wu,
	cd, subs, cov, secs, 'key-free')::jsonb from plan_parts;
select is((select doc - 'id' - 'createdAt' from r where label = 'free-trial'),
	(select jsonb_build_object('exercises', ex, 'warmup', wu, 'cooldown', cd,
	    'substitutions', subs, 'muscleCoverage', cov, 'estimatedDuration', 11,
	    'creditCost', 0) from plan_parts),
	'trial: the §6.7 document at creditCost 0');
select is((select (user_id, estimated_duration, actual_duration, credit_cost, idempotency_key)::text
	     from prescriptions where id = (select doc->>'id' from r where label = 'free-trial')),
	'(user_pgtap51trial,630,630,0,key-free)', 'trial: stored in seconds with its key');
select is((select doc->>'createdAt' from r where label = 'free-trial'),
	(select iso_ts(created_at) from prescriptions
	  where id = (select doc->>'id' from r where label = 'free-trial')),
	'createdAt is formatted as iso_ts does');
select is(prescription_create_free('user_pgtap51trial', cons, '[]', wu, cd, subs, cov, 999,
	'key-free')::jsonb, (select doc from r where label = 'free-trial'), 'trial: a replay answers the original')
  from plan_parts;
select is((select count(*)::int from prescriptions
	    where user_id = 'user_pgtap51trial' and idempotency_key = 'key-free'), 1,
	'trial: a replay stores nothing');
select is((select (prescription_create_free('user_pgtap51sub', cons, ex, wu, cd, subs, cov, secs,
	null)::jsonb->>'creditCost')::int from plan_parts), 0, 'subscription: creditCost 0');
select is((select count(*)::int from credit_ledger
	    where user_id in ('user_pgtap51trial', 'user_pgtap51sub')), 0,
	'still no ledger rows for unlimited users');
select is((select prescription_create_free('user_pgtap51free', cons, ex, wu, cd, subs, cov, secs,
	'key-new')::text from plan_parts), null, 'free tier: NULL, to be charged');
select is((select prescription_create_free('user_pgtap51free', cons, '[]', wu, cd, subs, cov,
	999, 'key-1')::jsonb from plan_parts), (select doc from r where label = 'free'),
	'free tier: a replayed key answers the original, uncharged');
select throws_ok($$select prescription_create_free('user_pgtap51gone', cons, ex, wu, cd, subs,
	cov, secs, null) from plan_parts$$, 'MM401', 'Your account no longer exists',
	'prescription_create_free: unknown user: MM401');

select is(current_setting('synchronous_commit'), 'off',
	'storing an unlimited plan turned synchronous commit off for its transaction');

-- The ledger invariant holds for the charged user.
select is((select balance from credit_balances where user_id = 'user_pgtap51free'),
	(select sum(amount)::int from credit_ledger where user_id = 'user_pgtap51free'),
	'balance = sum of ledger amounts');

select * from finish();
rollback;
