-- Credits, purchases and subscriptions (API §5, §1.9).
--
-- credit_balances and credit_ledger are only ever changed through
-- update_credit_balance() (sql/functions/economy.sql), which keeps
-- balance = sum of ledger amounts = last balance_after >= 0.
-- credit_ledger.idempotency_key is unique across all users; callers store a
-- per-user form such as '<userId>:<key>'. Ledger rows default to
-- clock_timestamp() rather than now() so that several rows written in one
-- transaction keep their insertion order; update_credit_balance() sets
-- created_at itself (see there).
--
-- webhook_events records each Stripe event id once, so a redelivered (or
-- concurrently delivered) event is recognised and processed only once.

create table credit_balances (
	user_id         text primary key references users (id) on delete cascade,
	balance         integer not null default 0 check (balance >= 0),
	lifetime_earned integer not null default 0 check (lifetime_earned >= 0),
	lifetime_spent  integer not null default 0 check (lifetime_spent >= 0),
	version         integer not null default 0,
	updated_at      timestamptz not null default now()
);

create table credit_ledger (
	id              text primary key default mm_id('txn'),
	user_id         text not null references users (id) on delete cascade,
	action          text not null,
	amount          integer not null,
	balance_after   integer not null check (balance_after >= 0),
	metadata        jsonb,
	idempotency_key text,
	created_at      timestamptz not null default clock_timestamp(),
	constraint credit_ledger_idempotency_key_key unique (idempotency_key)
);

-- History pages are per user, newest first (API §5.3).
create index idx_credit_ledger_user on credit_ledger
	(user_id, created_at desc, id desc);
create index idx_credit_ledger_created on credit_ledger (created_at);
create index idx_credit_ledger_action on credit_ledger (action);

create table credit_actions (
	id           text primary key,
	name         text not null,
	description  text,
	default_cost integer not null check (default_cost >= 0),
	plugin_id    text,
	enabled      boolean not null default true,
	created_at   timestamptz not null default now()
);

create table purchases (
	id                text primary key default mm_id('purch'),
	user_id           text not null references users (id) on delete cascade,
	tier_id           text not null,
	credits           integer not null check (credits > 0),
	amount_cents      integer not null check (amount_cents >= 0),
	status            text not null default 'pending'
	                  check (status in ('pending', 'completed', 'failed', 'refunded')),
	stripe_payment_id text,
	stripe_session_id text,
	metadata          jsonb,
	created_at        timestamptz not null default now(),
	completed_at      timestamptz
);

create index purchases_user_idx on purchases (user_id, created_at desc);

create table subscriptions (
	id                     text primary key default mm_id('sub'),
	user_id                text not null references users (id) on delete cascade,
	stripe_customer_id     text,
	stripe_subscription_id text,
	status                 text not null
	                       check (status in ('inactive', 'active', 'past_due', 'canceled', 'unpaid')),
	current_period_start   timestamptz,
	current_period_end     timestamptz,
	cancel_at_period_end   boolean not null default false,
	created_at             timestamptz not null default now(),
	updated_at             timestamptz not null default now(),
	constraint subscriptions_stripe_subscription_id_key
		unique (stripe_subscription_id)
);

create index subscriptions_user_idx on subscriptions (user_id, created_at desc);
create index subscriptions_customer_idx on subscriptions (stripe_customer_id);

create trigger subscriptions_updated_at before update on subscriptions
	for each row execute function update_updated_at();

create table webhook_events (
	id          text primary key,
	type        text,
	received_at timestamptz not null default now()
);
