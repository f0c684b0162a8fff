-- Credit balance changes (API §1.9, §5). update_credit_balance() is the only
-- way a balance changes: it moves credit_balances and appends exactly one
-- credit_ledger row per change, so that for every user
-- balance = sum(ledger amounts) = last balance_after >= 0.
--
-- Result columns: success, new_balance (the balance after the call, or the
-- stored balance_after of the original row on a replay), entry_id (ledger
-- id), error_message (NULL on success; 'user_not_found',
-- 'idempotency_key_conflict', 'version_mismatch', 'insufficient_credits',
-- 'invalid_amount', 'invalid_action'), existing (true when the key was
-- already used and nothing changed).
--
-- Concurrency. The balance row is locked FOR UPDATE before anything is
-- decided, and the idempotency key is checked again once the lock is held:
-- under READ COMMITTED each statement of this (volatile) function takes a
-- fresh snapshot, so a caller that waited for the lock sees the ledger row
-- of a concurrent caller with the same key and reports it as existing.
-- Under REPEATABLE READ / SERIALIZABLE the waiting caller instead gets a
-- serialization failure (SQLSTATE 40001) and its retry finds the key on the
-- fast path. Two users racing on one key lock different rows; the loser
-- hits the unique index on idempotency_key, its changes are rolled back to
-- the savepoint and the committed row is reported (or 40001 is raised when
-- the snapshot cannot see it, so that the caller retries).
--
-- This file is applied on every migrate run. CREATE OR REPLACE cannot change
-- a result type, so older variants of the function with another argument
-- list or result type are dropped first.

do $$
declare
	r record;
begin
	for r in
		select p.oid::regprocedure as sig
		  from pg_proc p
		 where p.proname = 'update_credit_balance'
		   and p.pronamespace = (select oid from pg_namespace
		                          where nspname = current_schema())
		   and (pg_get_function_identity_arguments(p.oid) <>
		        'p_user_id text, p_amount integer, p_action text, '
		        'p_metadata jsonb, p_idempotency_key text, '
		        'p_expected_version integer'
		     or pg_get_function_result(p.oid) <>
		        'TABLE(success boolean, new_balance integer, entry_id text, '
		        'error_message text, existing boolean)')
	loop
		execute 'drop function ' || r.sig;
	end loop;
end;
$$;

create or replace function update_credit_balance(
	p_user_id text,
	p_amount integer,
	p_action text,
	p_metadata jsonb,
	p_idempotency_key text,
	p_expected_version integer default null)
returns table(success boolean, new_balance integer, entry_id text,
    error_message text, existing boolean)
language plpgsql
volatile
as $$
declare
	v_entry   credit_ledger%rowtype;
	v_bal     credit_balances%rowtype;
	v_new     bigint;
	v_id      text;
	v_ts      timestamptz;
begin
	-- (a) Replay: the key was already used.
	if p_idempotency_key is not null then
		select * into v_entry
		  from credit_ledger l
		 where l.idempotency_key = p_idempotency_key;
		if found then
			if v_entry.user_id is distinct from p_user_id then
				return query select false, null::integer, null::text,
				    'idempotency_key_conflict'::text, false;
			else
				return query select true, v_entry.balance_after, v_entry.id,
				    null::text, true;
			end if;
			return;
		end if;
	end if;

	-- (b) Lock the balance row, creating a zero row for a known user.
	select * into v_bal
	  from credit_balances b
	 where b.user_id = p_user_id
	   for update;
	if not found then
		if not exists (select 1 from users u where u.id = p_user_id) then
			return query select false, null::integer, null::text,
			    'user_not_found'::text, false;
			return;
		end if;
		begin
			insert into credit_balances (user_id, balance, lifetime_earned,
			    lifetime_spent, version)
			values (p_user_id, 0, 0, 0, 0)
			on conflict (user_id) do nothing;
		exception when foreign_key_violation then
			-- The user was deleted meanwhile.
			return query select false, null::integer, null::text,
			    'user_not_found'::text, false;
			return;
		end;
		select * into v_bal
		  from credit_balances b
		 where b.user_id = p_user_id
		   for update;
		if not found then
			return query select false, null::integer, null::text,
			    'user_not_found'::text, false;
			return;
		end if;
	end if;

	-- (c) Re-check the key now that concurrent callers are serialized.
	if p_idempotency_key is not null then
		select * into v_entry
		  from credit_ledger l
		 where l.idempotency_key = p_idempotency_key;
		if found then
			if v_entry.user_id is distinct from p_user_id then
				return query select false, null::integer, null::text,
				    'idempotency_key_conflict'::text, false;
			else
				return query select true, v_entry.balance_after, v_entry.id,
				    null::text, true;
			end if;
			return;
		end if;
	end if;

	-- (d) Optimistic lock.
	if p_expected_version is not null
	    and p_expected_version <> v_bal.version then
		return query select false, v_bal.balance, null::text,
		    'version_mismatch'::text, false;
		return;
	end if;

	-- (e) Never below zero.
	if p_amount is not null and v_bal.balance::bigint + p_amount < 0 then
		return query select false, v_bal.balance, null::text,
		    'insufficient_credits'::text, false;
		return;
	end if;

	-- (f) Nothing to do, or a change the integer columns cannot hold.
	v_new := v_bal.balance::bigint + p_amount;
	if p_amount is null or p_amount = 0
	    or v_new > 2147483647
	    or v_bal.lifetime_earned::bigint + greatest(p_amount, 0) > 2147483647
	    or v_bal.lifetime_spent::bigint + greatest(-p_amount::bigint, 0)
	       > 2147483647 then
		return query select false, v_bal.balance, null::text,
		    'invalid_amount'::text, false;
		return;
	end if;
	if p_action is null or p_action = '' then
		return query select false, v_bal.balance, null::text,
		    'invalid_action'::text, false;
		return;
	end if;

	-- (g) Apply: one balance update, one ledger row. The ledger row is
	-- stamped with the wall clock, not now() (the transaction start): a
	-- transaction that waited for the lock may have started before the one
	-- it waited for. Taking the later of the clock and the previous change
	-- plus 1 us keeps each user's created_at strictly increasing in balance
	-- order, so "the last balance_after" is the row with the newest
	-- created_at.
	v_ts := greatest(clock_timestamp(),
	    coalesce(v_bal.updated_at, '-infinity') + interval '1 microsecond');
	-- The ledger row first: a key that another transaction committed after
	-- our checks (only possible when it belongs to another user, or under
	-- snapshot isolation) inserts nothing, and the balance is not touched.
	-- ON CONFLICT rather than an exception block, which would cost a
	-- subtransaction on every call.
	insert into credit_ledger (user_id, action, amount, balance_after,
	    metadata, idempotency_key, created_at)
	values (p_user_id, p_action, p_amount, v_new::integer, p_metadata,
	    p_idempotency_key, v_ts)
	on conflict (idempotency_key) do nothing
	returning credit_ledger.id into v_id;
	if v_id is null then
		select * into v_entry
		  from credit_ledger l
		 where l.idempotency_key = p_idempotency_key;
		if not found then
			raise exception 'concurrent credit change, retry'
			    using errcode = 'serialization_failure';
		end if;
		if v_entry.user_id is distinct from p_user_id then
			return query select false, null::integer, null::text,
			    'idempotency_key_conflict'::text, false;
		else
			return query select true, v_entry.balance_after, v_entry.id,
			    null::text, true;
		end if;
		return;
	end if;
	update credit_balances b
	   set balance = v_new,
	       version = b.version + 1,
	       lifetime_earned = b.lifetime_earned + greatest(p_amount, 0),
	       lifetime_spent = b.lifetime_spent
		   + greatest(-p_amount::bigint, 0)::integer,
	       updated_at = v_ts
	 where b.user_id = p_user_id;

	return query select true, v_new::integer, v_id, null::text, false;
end;
$$;

-- ---------------------------------------------------------------------------
-- Entitlements and the economy endpoints (API §5.1-§5.7).
--
-- Every function below answers with the contract's JSON document; errors
-- are raised with SQLSTATE MMnnn and a message for users. Balances are only
-- read here; the one writer is update_credit_balance() above.

-- The seed's subscription verification flow (API §5.1), in its order: an
-- active trial, else an active subscription, else the credits of the free
-- tier. Returns 'trial', 'subscription' or NULL (free tier). Shared by
-- every binary that charges (workouts, prescriptions).
-- PL/pgSQL, not SQL: an SQL function with subqueries is never inlined and
-- would be planned again on every call; PL/pgSQL keeps its plans.
create or replace function entitlement_reason(p_user_id text)
returns text
language plpgsql
stable
as $$
begin
	if exists (select 1 from users u
		    where u.id = p_user_id and u.trial_ends_at > now()) then
		return 'trial';
	end if;
	if exists (select 1 from subscriptions s
		    where s.user_id = p_user_id and s.status = 'active') then
		return 'subscription';
	end if;
	return null;
end;
$$;

-- GET /api/economy/balance (API §5.2). A user without a balance row has 0.
create or replace function economy_balance(p_user_id text)
returns json
language plpgsql
stable
as $$
#variable_conflict use_column
begin
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	return (select q.v from (
		select json_build_object(
			'balance', coalesce(b.balance, 0),
			'lifetimeEarned', coalesce(b.lifetime_earned, 0),
			'lifetimeSpent', coalesce(b.lifetime_spent, 0),
			'unlimited', e.reason is not null,
			'unlimitedReason', e.reason)
		  from (select entitlement_reason(p_user_id) as reason) e
		  left join credit_balances b on b.user_id = p_user_id
	) q(v) limit 1);
end;
$$;

-- GET /api/economy/history (API §5.3): newest first. Ledger rows of one user
-- have strictly increasing created_at in balance order (see
-- update_credit_balance), the id breaks ties of rows written otherwise.
create or replace function economy_history(p_user_id text, p_limit integer,
    p_offset bigint)
returns json
language plpgsql
stable
as $$
#variable_conflict use_column
begin
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	return (select q.v from (
		select json_build_object(
			'transactions', coalesce((
				select json_agg(t.doc order by t.n)
				  from (select json_build_object(
						'id', l.id,
						'action', l.action,
						'amount', l.amount,
						'balanceAfter', l.balance_after,
						'metadata', l.metadata,
						'createdAt', iso_ts(l.created_at)) as doc,
					       row_number() over (order by l.created_at desc,
						   l.id desc) as n
					  from credit_ledger l
					 where l.user_id = p_user_id
					 order by l.created_at desc, l.id desc
					 limit p_limit offset p_offset) t), '[]'::json),
			'total', (select count(*) from credit_ledger l
			           where l.user_id = p_user_id),
			'limit', p_limit,
			'offset', p_offset)
	) q(v) limit 1);
end;
$$;

-- GET /api/economy/actions (API §5.5): enabled actions only.
create or replace function economy_actions()
returns json
language plpgsql
stable
as $$
#variable_conflict use_column
begin
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	return (select q.v from (
		select json_build_object('actions', coalesce(json_agg(json_build_object(
			'id', a.id,
			'name', a.name,
			'description', a.description,
			'defaultCost', a.default_cost,
			'pluginId', a.plugin_id) order by a.id), '[]'::json))
		  from credit_actions a
		 where a.enabled
	) q(v) limit 1);
end;
$$;

-- POST /api/economy/charge (API §5.6), run SERIALIZABLE by the caller (the
-- seed's credit transaction flow). The client's key is stored per user as
-- '<userId>:<key>'. A key this user already used answers the original
-- transaction whatever the body (existing = true); otherwise the amount is
-- the given one or the enabled action's default cost, and the debit goes
-- through update_credit_balance(). Not enough credits: MM402 and nothing
-- is written, so the key stays unused. Concurrent copies of one key wait
-- for the balance row lock, fail to serialize, and their retry finds the
-- committed row here. Index scans only, for narrow predicate locks (see
-- workout_create).
create or replace function economy_charge(p_user_id text, p_action text,
    p_amount integer, p_key text, p_metadata jsonb)
returns json
language plpgsql
volatile
set enable_seqscan = off
as $$
declare
	v_key    text := p_user_id || ':' || p_key;
	v_entry  credit_ledger%rowtype;
	v_amount integer := p_amount;
	v_res    record;
begin
	select * into v_entry
	  from credit_ledger l
	 where l.idempotency_key = v_key and l.user_id = p_user_id;
	if found then
		return json_build_object('success', true,
		    'transactionId', v_entry.id,
		    'newBalance', v_entry.balance_after,
		    'existing', true);
	end if;

	if v_amount is null then
		select a.default_cost into v_amount
		  from credit_actions a
		 where a.id = p_action and a.enabled;
		if not found then
			raise exception using errcode = 'MM400',
			    message = format('Unknown action %s: give an amount '
			        'or use an action of /api/economy/actions', p_action);
		end if;
	end if;
	if v_amount <= 0 then
		raise exception using errcode = 'MM400',
		    message = format('Action %s costs nothing: give an amount',
		        p_action);
	end if;

	select * into v_res
	  from update_credit_balance(p_user_id, -v_amount, p_action,
	      p_metadata, v_key);
	if not v_res.success then
		if v_res.error_message = 'insufficient_credits' then
			raise exception using errcode = 'MM402',
			    message = format('You need %s credits but only have %s',
			        v_amount, v_res.new_balance);
		elsif v_res.error_message = 'user_not_found' then
			raise exception using errcode = 'MM401',
			    message = 'Your account no longer exists';
		end if;
		raise exception 'charge failed: %', v_res.error_message;
	end if;
	return json_build_object('success', true,
	    'transactionId', v_res.entry_id,
	    'newBalance', v_res.new_balance,
	    'existing', v_res.existing);
end;
$$;

-- GET /api/entitlements (API §5.7). daysLeftInTrial = ceil(days until
-- trialEndsAt), 0 once ended or without a trial; the subscription fields
-- come from the newest subscription row.
create or replace function economy_entitlements(p_user_id text)
returns json
language plpgsql
stable
as $$
#variable_conflict use_column
begin
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	return (select q.v from (
		select json_build_object(
			'unlimited', e.reason is not null,
			'reason', coalesce(e.reason, 'credits'),
			'trialEndsAt', iso_ts(u.trial_ends_at),
			'daysLeftInTrial', coalesce(greatest(0, ceil(extract(epoch from
			    (u.trial_ends_at - now())) / 86400))::integer, 0),
			'subscriptionStatus', s.status,
			'subscriptionEndsAt', iso_ts(s.current_period_end),
			'creditBalance', coalesce(b.balance, 0))
		  from users u
		 cross join lateral (select entitlement_reason(u.id) as reason) e
		  left join lateral (select s.status, s.current_period_end
		                       from subscriptions s
		                      where s.user_id = u.id
		                      order by s.created_at desc, s.id desc
		                      limit 1) s on true
		  left join credit_balances b on b.user_id = u.id
		 where u.id = p_user_id
	) q(v) limit 1);
end;
$$;

-- Replaced by db_queue_lock() / db_queue_unlock() (system.sql).
drop function if exists economy_user_lock(text, boolean);
drop function if exists economy_user_unlock(text);
