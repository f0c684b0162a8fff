-- Economy functions (API §5.1-§5.7): entitlement_reason in the order of
-- the subscription verification flow, economy_balance, economy_history,
-- economy_actions, economy_charge (default and explicit amounts, replay
-- with any body, insufficient credits writing nothing, unknown actions) and
-- economy_entitlements. Creates its own users and actions.

begin;
select plan(31);

insert into users (id, email, username, password_hash, trial_started_at, trial_ends_at)
values ('user_pgtap31free', 'pgtap31free@test.invalid', 'pgtap31free', 'x',
        now() - interval '100 days', now() - interval '10 days'),
       ('user_pgtap31trial', 'pgtap31trial@test.invalid', 'pgtap31trial', 'x',
        now(), now() + interval '36 hours'),
       ('user_pgtap31sub', 'pgtap31sub@test.invalid', 'pgtap31sub', 'x', null, null),
       ('user_pgtap31none', 'pgtap31none@test.invalid', 'pgtap31none', 'x', null, null);
do $$ begin perform update_credit_balance('user_pgtap31free', 100, 'signup_bonus', null, 'user_pgtap31free:signup'); end $$;
insert into subscriptions (user_id, stripe_subscription_id, status, current_period_end, created_at)
values ('user_pgtap31sub', 'sub_pgtap31_old', 'active', '2030-01-01Z', now() - interval '1 day'),
       ('user_pgtap31sub', 'sub_pgtap31_new', 'past_due', '2031-01-01Z', now());
insert into credit_actions (id, name, default_cost, enabled)
values ('pgtap31.on', 'On', 7, true), ('pgtap31.off', 'Off', 3, false),
       ('pgtap31.free', 'Free', 0, true);

-- Entitlements, in order: trial, active subscription, credits.
select is(entitlement_reason('user_pgtap31trial'), 'trial', 'an active trial');
select is(entitlement_reason('user_pgtap31sub'), 'subscription',
	'any active subscription row (not only the newest)');
select is(entitlement_reason('user_pgtap31free'), null, 'an ended trial: credits');
select is(entitlement_reason('user_pgtap31none'), null, 'no trial at all: credits');

select is(economy_balance('user_pgtap31free')::jsonb,
	'{"balance":100,"lifetimeEarned":100,"lifetimeSpent":0,"unlimited":false,"unlimitedReason":null}',
	'free-tier balance');
select is(economy_balance('user_pgtap31none')::jsonb,
	'{"balance":0,"lifetimeEarned":0,"lifetimeSpent":0,"unlimited":false,"unlimitedReason":null}',
	'no balance row reads as zero');
select is(economy_balance('user_pgtap31trial')::jsonb->>'unlimitedReason', 'trial', 'trial reason');

-- Charges.
create temp table r (label text primary key, doc jsonb) on commit drop;
insert into r values ('default', economy_charge('user_pgtap31free', 'pgtap31.on', null, 'a', '{"x":1}'));
select is((select doc - 'transactionId' from r where label = 'default'),
	'{"success":true,"newBalance":93,"existing":false}', 'the default cost of an enabled action');
select is(
	(select (action, amount, balance_after, metadata, idempotency_key)::text
	   from credit_ledger where id = (select doc->>'transactionId' from r where label = 'default')),
	'(pgtap31.on,-7,93,"{""x"": 1}",user_pgtap31free:a)', 'ledger row with metadata and per-user key');
insert into r values ('explicit', economy_charge('user_pgtap31free', 'anything-goes', 50, 'b', null));
select is((select (doc->'newBalance')::int from r where label = 'explicit'), 43, 'an explicit amount');
insert into r values ('replay', economy_charge('user_pgtap31free', 'pgtap31.off', 999, 'a', null));
select is((select doc from r where label = 'replay'),
	(select jsonb_set(doc, '{existing}', 'true') from r where label = 'default'),
	'a replay with any body answers the original transaction and balance_after');
select is((select balance from credit_balances where user_id = 'user_pgtap31free'), 43,
	'a replay debits nothing');
select throws_ok($$select economy_charge('user_pgtap31free', 'x', 44, 'c', null)$$,
	'MM402', 'You need 44 credits but only have 43', 'insufficient: MM402 with the exact message');
select is((select count(*)::int from credit_ledger where idempotency_key = 'user_pgtap31free:c'), 0,
	'insufficient: nothing written');
insert into r values ('later', economy_charge('user_pgtap31free', 'x', 43, 'c', null));
select is((select doc - 'transactionId' from r where label = 'later'),
	'{"success":true,"newBalance":0,"existing":false}', 'the unused key works later');
select throws_ok($$select economy_charge('user_pgtap31free', 'pgtap31.off', null, 'd', null)$$,
	'MM400', null, 'a disabled action has no default cost');
select throws_ok($$select economy_charge('user_pgtap31free', 'pgtap31.nope', null, 'd', null)$$,
	'MM400', null, 'an unknown action has no default cost');
select throws_ok($$select economy_charge('user_pgtap31free', 'pgtap31.free', null, 'd', null)$$,
	'MM400', null, 'a zero default cost is refused');
select throws_ok($$select economy_charge('user_pgtap31none', 'x', 1, 'z', null)$$,
	'MM402', 'You need 1 credits but only have 0', 'charges debit whatever the entitlement');

-- History: newest first, pages, totals.
select is((economy_history('user_pgtap31free', 20, 0)::jsonb - 'transactions'),
	'{"total":4,"limit":20,"offset":0}', 'history meta');
select is(
	(select array_agg(x->>'amount' order by n)
	   from jsonb_array_elements(economy_history('user_pgtap31free', 20, 0)::jsonb->'transactions')
	        with ordinality t(x, n)),
	array['-43', '-50', '-7', '100'], 'newest first');
select is(
	(select array_agg(x->>'balanceAfter' order by n)
	   from jsonb_array_elements(economy_history('user_pgtap31free', 2, 1)::jsonb->'transactions')
	        with ordinality t(x, n)),
	array['43', '93'], 'limit and offset');
select is(
	(select array(select jsonb_object_keys(economy_history('user_pgtap31free', 1, 0)::jsonb->'transactions'->0)
	              order by 1)),
	array['action', 'amount', 'balanceAfter', 'createdAt', 'id', 'metadata'], 'transaction keys');
select is(economy_history('user_pgtap31none', 20, 0)::jsonb,
	'{"transactions":[],"total":0,"limit":20,"offset":0}', 'empty history');

-- Actions: enabled only.
select ok(economy_actions()::jsonb->'actions' @> '[{"id":"pgtap31.on","defaultCost":7,"pluginId":null}]',
	'enabled actions are listed');
select ok(not (economy_actions()::jsonb->'actions' @> '[{"id":"pgtap31.off"}]'),
	'disabled actions are not');

-- Entitlements document.
select is(economy_entitlements('user_pgtap31trial')::jsonb - 'trialEndsAt',
	'{"unlimited":true,"reason":"trial","daysLeftInTrial":2,"subscriptionStatus":null,
	  "subscriptionEndsAt":null,"creditBalance":0}', 'trial: ceil of 1.5 days left');
select is(economy_entitlements('user_pgtap31sub')::jsonb,
	'{"unlimited":true,"reason":"subscription","trialEndsAt":null,"daysLeftInTrial":0,
	  "subscriptionStatus":"past_due","subscriptionEndsAt":"2031-01-01T00:00:00.000Z",
	  "creditBalance":0}', 'subscription fields come from the newest row');
select is(economy_entitlements('user_pgtap31free')::jsonb - 'trialEndsAt',
	'{"unlimited":false,"reason":"credits","daysLeftInTrial":0,"subscriptionStatus":null,
	  "subscriptionEndsAt":null,"creditBalance":0}', 'free tier');
select is(economy_entitlements('user_nope')::jsonb, null, 'unknown user: NULL');

-- The invariant after all of it.
select is(
	(select (b.balance = sum(l.amount) and b.lifetime_earned = sum(greatest(l.amount, 0))
	         and b.lifetime_spent = sum(greatest(-l.amount, 0)))
	   from credit_balances b join credit_ledger l using (user_id)
	  where b.user_id = 'user_pgtap31free' group by b.balance, b.lifetime_earned, b.lifetime_spent),
	true, 'balance and lifetime counters are the ledger sums');

select * from finish();
rollback;
