-- Billing functions (API §5.4, §5.8, §5.9): the pricing document,
-- checkout, and webhook processing (the signature is checked by the
-- binary): a completed checkout credits the stored amount once per
-- purchase whatever the deliveries, subscription events upsert one row per
-- Stripe subscription with the status mapping, unknown references are
-- ignored. Creates its own users.

begin;
select plan(30);

insert into users (id, email, username, password_hash, trial_started_at, trial_ends_at)
values ('user_pgtap32a', 'pgtap32a@test.invalid', 'pgtap32a', 'x',
        now() - interval '100 days', now() - interval '10 days'),
       ('user_pgtap32b', 'pgtap32b@test.invalid', 'pgtap32b', 'x',
        now() - interval '100 days', now() - interval '10 days');

select is(billing_pricing()::jsonb,
	'{"tiers":[{"id":"starter","credits":100,"priceCents":499,"popular":false},
	           {"id":"standard","credits":500,"priceCents":1999,"popular":true},
	           {"id":"premium","credits":1500,"priceCents":4999,"popular":false}],
	  "subscription":{"id":"unlimited","priceCents":999,"interval":"month",
	                  "features":["Unlimited workouts","Priority support"]}}',
	'the pricing document');
select is((select array_agg(x->>'id' order by n)
             from json_array_elements(billing_pricing()->'tiers') with ordinality t(x, n)),
	array['starter', 'standard', 'premium'], 'tiers in display order');

-- Checkout.
create temp table p (label text primary key, doc jsonb) on commit drop;
insert into p values ('std', billing_checkout('user_pgtap32a', 'standard'));
select is((select doc - 'id' - 'createdAt' from p where label = 'std'),
	'{"tierId":"standard","credits":500,"amountCents":1999,"status":"pending"}',
	'a pending purchase with the tier''s credits and price');
select matches((select doc->>'id' from p where label = 'std'), '^purch_[0-9a-f]{32}$', 'purchase id');
select is((select (user_id, credits, amount_cents, status)::text from purchases
            where id = (select doc->>'id' from p where label = 'std')),
	'(user_pgtap32a,500,1999,pending)', 'stored purchase');
select throws_ok($$select billing_checkout('user_pgtap32a', 'gold')$$, 'MM400', null,
	'an unknown tier is refused');

-- checkout.session.completed, delivered twice with one id and once more
-- with another id; payload amounts are ignored.
create function pg32_session(evt text, purchase text) returns jsonb language sql as $$
	select jsonb_build_object('id', evt, 'type', 'checkout.session.completed',
	    'data', jsonb_build_object('object', jsonb_build_object(
	        'id', 'cs_pgtap32', 'payment_intent', 'pi_pgtap32', 'amount_total', 1,
	        'client_reference_id', purchase, 'credits', 99999)))
$$;
select is(billing_webhook(pg32_session('evt_pgtap32_1', (select doc->>'id' from p where label = 'std')))::jsonb,
	'{"received":true}', 'acknowledged');
select is((select (status, stripe_session_id, stripe_payment_id, completed_at is not null)::text
             from purchases where id = (select doc->>'id' from p where label = 'std')),
	'(completed,cs_pgtap32,pi_pgtap32,t)', 'the purchase is completed');
select is((select balance from credit_balances where user_id = 'user_pgtap32a'), 500,
	'the stored credits are granted');
select is(
	(select (action, amount, balance_after, metadata, idempotency_key)::text
	   from credit_ledger where user_id = 'user_pgtap32a'),
	(select ('purchase', 500, 500, jsonb_build_object('purchaseId', doc->>'id'),
	         'user_pgtap32a:purchase:' || (doc->>'id'))::text from p where label = 'std'),
	'one purchase ledger row');
select is(billing_webhook(pg32_session('evt_pgtap32_1', (select doc->>'id' from p where label = 'std')))::jsonb,
	'{"received":true}', 'a redelivery is acknowledged');
select is(billing_webhook(pg32_session('evt_pgtap32_2', (select doc->>'id' from p where label = 'std')))::jsonb,
	'{"received":true}', 'another event for the same session is acknowledged');
select is((select (balance, version)::text from credit_balances where user_id = 'user_pgtap32a'),
	'(500,1)', 'credited once');
select is((select count(*)::int from webhook_events where id in ('evt_pgtap32_1', 'evt_pgtap32_2')), 2,
	'each event id recorded once');

-- metadata.purchaseId works too.
insert into p values ('starter', billing_checkout('user_pgtap32a', 'starter'));
select billing_webhook(jsonb_build_object('id', 'evt_pgtap32_3', 'type', 'checkout.session.completed',
	'data', jsonb_build_object('object', jsonb_build_object('id', 'cs_pgtap32b',
	    'metadata', jsonb_build_object('purchaseId', (select doc->>'id' from p where label = 'starter'))))))
  is not null as received \gset
select is((select balance from credit_balances where user_id = 'user_pgtap32a'), 600,
	'metadata.purchaseId identifies the purchase');
select is(billing_webhook(pg32_session('evt_pgtap32_4', 'purch_nope'))::jsonb, '{"received":true}',
	'an unknown purchase is acknowledged and ignored');
select is(billing_webhook('{"id":"evt_pgtap32_5","type":"invoice.paid","data":{"object":{}}}')::jsonb,
	'{"received":true}', 'an unknown type is acknowledged');

-- Subscriptions.
create function pg32_sub(evt text, type text, obj jsonb) returns json language sql as $$
	select billing_webhook(jsonb_build_object('id', evt, 'type', type,
	    'data', jsonb_build_object('object', obj)))
$$;
select pg32_sub('evt_pgtap32_s1', 'customer.subscription.created',
	'{"id":"sub_pgtap32","customer":"cus_pgtap32","status":"trialing","current_period_start":1767225600,
	  "current_period_end":1769904000,"cancel_at_period_end":false,"metadata":{"userId":"user_pgtap32b"}}')
  is not null as received \gset
select is((select (user_id, status, stripe_customer_id, current_period_start, current_period_end,
                   cancel_at_period_end)::text
             from subscriptions where stripe_subscription_id = 'sub_pgtap32'),
	(select ('user_pgtap32b', 'active', 'cus_pgtap32', to_timestamp(1767225600),
	         to_timestamp(1769904000), false)::text),
	'created: trialing maps to active, periods from Unix seconds');
select is(entitlement_reason('user_pgtap32b'), 'subscription', 'entitlements follow at once');
select pg32_sub('evt_pgtap32_s2', 'customer.subscription.updated',
	'{"id":"sub_pgtap32","customer":"cus_pgtap32","status":"past_due","cancel_at_period_end":true}')
  is not null as received \gset
select is((select (status, cancel_at_period_end, current_period_end)::text
             from subscriptions where stripe_subscription_id = 'sub_pgtap32'),
	(select ('past_due', true, to_timestamp(1769904000))::text),
	'updated without metadata: found by customer, periods kept');
select is(entitlement_reason('user_pgtap32b'), null, 'past_due is not unlimited');
select pg32_sub('evt_pgtap32_s3', 'customer.subscription.updated',
	'{"id":"sub_pgtap32","customer":"cus_pgtap32","status":"incomplete"}') is not null as received \gset
select is((select status from subscriptions where stripe_subscription_id = 'sub_pgtap32'), 'inactive',
	'other statuses map to inactive');
select pg32_sub('evt_pgtap32_s4', 'customer.subscription.updated',
	'{"id":"sub_pgtap32","customer":"cus_pgtap32","status":"unpaid"}') is not null as received \gset
select is((select status from subscriptions where stripe_subscription_id = 'sub_pgtap32'), 'unpaid',
	'unpaid is kept');
select pg32_sub('evt_pgtap32_s5', 'customer.subscription.deleted',
	'{"id":"sub_pgtap32","customer":"cus_pgtap32","status":"active"}') is not null as received \gset
select is((select status from subscriptions where stripe_subscription_id = 'sub_pgtap32'), 'canceled',
	'deleted maps to canceled');
select pg32_sub('evt_pgtap32_s5', 'customer.subscription.updated',
	'{"id":"sub_pgtap32","customer":"cus_pgtap32","status":"active"}') is not null as received \gset
select is((select status from subscriptions where stripe_subscription_id = 'sub_pgtap32'), 'canceled',
	'a repeated event id changes nothing');
select is((select count(*)::int from subscriptions where stripe_subscription_id = 'sub_pgtap32'), 1,
	'one row per Stripe subscription');
select pg32_sub('evt_pgtap32_s6', 'customer.subscription.created',
	'{"id":"sub_pgtap32_x","customer":"cus_unknown","status":"active"}') is not null as received \gset
select pg32_sub('evt_pgtap32_s7', 'customer.subscription.created',
	'{"id":"sub_pgtap32_y","status":"active","metadata":{"userId":"user_nope"}}') is not null as received \gset
select is((select count(*)::int from subscriptions
            where stripe_subscription_id in ('sub_pgtap32_x', 'sub_pgtap32_y')), 0,
	'no user found: ignored');
select throws_ok($$select billing_webhook('[1]')$$, 'MM400', null, 'an event must be an object');
select is(billing_webhook('{"type":"checkout.session.completed","data":{"object":"x"}}')::jsonb,
	'{"received":true}', 'a malformed object is acknowledged and ignored');

-- The invariant for the user who bought.
select is(
	(select (b.balance = sum(l.amount) and b.lifetime_earned = sum(greatest(l.amount, 0)))
	   from credit_balances b join credit_ledger l using (user_id)
	  where b.user_id = 'user_pgtap32a' group by b.balance, b.lifetime_earned),
	true, 'balance is the ledger sum');

select * from finish();
rollback;
