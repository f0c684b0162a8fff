-- Credit packs, checkout and the Stripe webhook (API §5.4, §5.8, §5.9).
--
-- The tiers are reference data of the product, defined once here: the
-- pricing document and the purchases made at checkout both read them.
-- Applied before economy.sql (files run in name order), so the plpgsql
-- bodies below may call update_credit_balance(), which is only resolved
-- when they run.

-- The credit packs, in display order.
create or replace function billing_tiers()
returns table(id text, credits integer, price_cents integer,
    popular boolean, ord integer)
language sql
immutable
as $$
	values ('starter', 100, 499, false, 1),
	       ('standard', 500, 1999, true, 2),
	       ('premium', 1500, 4999, false, 3)
$$;

-- GET /api/economy/pricing (API §5.4): exactly the contract's document.
create or replace function billing_pricing()
returns json
language plpgsql
immutable
as $$
#variable_conflict use_column
begin
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	return (select q.v from (
		select json_build_object(
			'tiers', (select json_agg(json_build_object(
					'id', t.id,
					'credits', t.credits,
					'priceCents', t.price_cents,
					'popular', t.popular) order by t.ord)
				    from billing_tiers() t),
			'subscription', json_build_object(
				'id', 'unlimited',
				'priceCents', 999,
				'interval', 'month',
				'features', json_build_array('Unlimited workouts',
				    'Priority support')))
	) q(v) limit 1);
end;
$$;

-- POST /api/billing/checkout (API §5.8): a pending purchase carrying the
-- tier's credits and price. The webhook later grants exactly these
-- credits, never an amount from Stripe's payload.
create or replace function billing_checkout(p_user_id text, p_tier_id text)
returns json
language plpgsql
volatile
as $$
declare
	v_tier record;
	v_p    purchases%rowtype;
begin
	select * into v_tier from billing_tiers() t where t.id = p_tier_id;
	if not found then
		raise exception using errcode = 'MM400',
		    message = 'tierId must be one of starter, standard, premium';
	end if;
	insert into purchases (user_id, tier_id, credits, amount_cents, status)
	values (p_user_id, v_tier.id, v_tier.credits, v_tier.price_cents,
	    'pending')
	returning * into v_p;
	return json_build_object(
		'id', v_p.id,
		'tierId', v_p.tier_id,
		'credits', v_p.credits,
		'amountCents', v_p.amount_cents,
		'status', v_p.status,
		'createdAt', iso_ts(v_p.created_at));
end;
$$;

-- A Unix-seconds JSON number as a timestamp; NULL for anything else.
create or replace function billing_unix_ts(p jsonb)
returns timestamptz
language sql
immutable
as $$
	select case when jsonb_typeof(p) = 'number'
		then to_timestamp((p #>> '{}')::double precision) end
$$;

-- checkout.session.completed: completes a pending purchase once and grants
-- its stored credits once (ledger action purchase, key derived from the
-- purchase id). Unknown or already completed purchases: no effect.
create or replace function billing_session_completed(p_obj jsonb)
returns void
language plpgsql
volatile
as $$
declare
	v_pid text := coalesce(p_obj ->> 'client_reference_id',
	    p_obj #>> '{metadata,purchaseId}');
	v_p   purchases%rowtype;
	v_res record;
begin
	if v_pid is null then
		return;
	end if;
	select * into v_p from purchases p where p.id = v_pid for update;
	if not found or v_p.status <> 'pending' then
		return;
	end if;
	update purchases p
	   set status = 'completed',
	       completed_at = now(),
	       stripe_session_id = p_obj ->> 'id',
	       stripe_payment_id = p_obj ->> 'payment_intent'
	 where p.id = v_p.id;
	select * into v_res
	  from update_credit_balance(v_p.user_id, v_p.credits, 'purchase',
	      jsonb_build_object('purchaseId', v_p.id),
	      v_p.user_id || ':purchase:' || v_p.id);
	if not v_res.success then
		-- Rolls the purchase back to pending: Stripe redelivers.
		raise exception 'purchase % could not be credited: %', v_p.id,
		    v_res.error_message;
	end if;
end;
$$;

-- customer.subscription.created|updated|deleted: upserts the row keyed by
-- stripe_subscription_id. The user is metadata.userId (an existing user),
-- else the user of a row with the same customer (or subscription); none:
-- ignored.
create or replace function billing_subscription_event(p_type text,
    p_obj jsonb)
returns void
language plpgsql
volatile
as $$
declare
	v_sub_id   text := p_obj ->> 'id';
	v_customer text := p_obj ->> 'customer';
	v_user     text := p_obj #>> '{metadata,userId}';
	v_status   text;
begin
	if v_sub_id is null or jsonb_typeof(p_obj) <> 'object' then
		return;
	end if;
	if v_user is not null
	    and not exists (select 1 from users u where u.id = v_user) then
		v_user := null;
	end if;
	if v_user is null then
		select s.user_id into v_user
		  from subscriptions s
		 where s.stripe_subscription_id = v_sub_id
		    or (v_customer is not null
		        and s.stripe_customer_id = v_customer)
		 order by s.stripe_subscription_id = v_sub_id desc,
		       s.created_at desc
		 limit 1;
	end if;
	if v_user is null then
		return;
	end if;
	v_status := case
		when p_type = 'customer.subscription.deleted' then 'canceled'
		when p_obj ->> 'status' in ('active', 'trialing') then 'active'
		when p_obj ->> 'status' in ('past_due', 'unpaid', 'canceled')
			then p_obj ->> 'status'
		else 'inactive'
	end;
	insert into subscriptions as s (user_id, stripe_customer_id,
	    stripe_subscription_id, status, current_period_start,
	    current_period_end, cancel_at_period_end)
	values (v_user, v_customer, v_sub_id, v_status,
	    billing_unix_ts(p_obj -> 'current_period_start'),
	    billing_unix_ts(p_obj -> 'current_period_end'),
	    coalesce(p_obj -> 'cancel_at_period_end' = 'true'::jsonb, false))
	on conflict (stripe_subscription_id) do update
	   set status = excluded.status,
	       stripe_customer_id = coalesce(excluded.stripe_customer_id,
	           s.stripe_customer_id),
	       current_period_start = coalesce(excluded.current_period_start,
	           s.current_period_start),
	       current_period_end = coalesce(excluded.current_period_end,
	           s.current_period_end),
	       cancel_at_period_end = excluded.cancel_at_period_end;
end;
$$;

-- POST /api/billing/webhook (API §5.9), after the signature was verified,
-- run SERIALIZABLE by the caller. Each event id is recorded in
-- webhook_events in the same transaction as its effects, so a redelivered
-- event does nothing; concurrent deliveries of one id conflict on that row
-- and their retry sees it. Unknown types are recorded and ignored. Index
-- scans only, for narrow predicate locks (see workout_create).
create or replace function billing_webhook(p_event jsonb)
returns json
language plpgsql
volatile
set enable_seqscan = off
as $$
declare
	v_id   text := p_event ->> 'id';
	v_type text := p_event ->> 'type';
	v_obj  jsonb := p_event #> '{data,object}';
	v_rows integer;
begin
	if jsonb_typeof(p_event) <> 'object' then
		raise exception using errcode = 'MM400',
		    message = 'The event must be a JSON object';
	end if;
	if v_id is not null then
		begin
			insert into webhook_events (id, type) values (v_id, v_type)
			on conflict (id) do nothing;
			get diagnostics v_rows = row_count;
		exception when unique_violation then
			raise exception 'concurrent delivery of %, retry', v_id
			    using errcode = 'serialization_failure';
		end;
		if v_rows = 0 then
			return json_build_object('received', true);
		end if;
	end if;
	if v_type = 'checkout.session.completed'
	    and jsonb_typeof(v_obj) = 'object' then
		perform billing_session_completed(v_obj);
	elsif v_type in ('customer.subscription.created',
	    'customer.subscription.updated', 'customer.subscription.deleted')
	    and jsonb_typeof(v_obj) = 'object' then
		perform billing_subscription_event(v_type, v_obj);
	end if;
	return json_build_object('received', true);
end;
$$;
