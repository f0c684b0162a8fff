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
	begin
		update credit_balances b
		   set balance = v_new,
		       version = b.version + 1,
		       lifetime_earned = b.lifetime_earned + greatest(p_amount, 0),
		       lifetime_spent = b.lifetime_spent
		           + greatest(-p_amount::bigint, 0)::integer,
		       updated_at = v_ts
		 where b.user_id = p_user_id;

		insert into credit_ledger (user_id, action, amount, balance_after,
		    metadata, idempotency_key, created_at)
		values (p_user_id, p_action, p_amount, v_new::integer, p_metadata,
		    p_idempotency_key, v_ts)
		returning credit_ledger.id into v_id;
	exception when unique_violation then
		-- Another transaction committed a row with this key after our
		-- checks (only possible when it belongs to another user, or under
		-- snapshot isolation). Both statements above are undone.
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
	end;

	return query select true, v_new::integer, v_id, null::text, false;
end;
$$;
