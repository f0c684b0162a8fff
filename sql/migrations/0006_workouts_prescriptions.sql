-- Logged workouts and generated prescriptions (API §4, §6.7).
--
-- Both carry an optional client idempotency key, unique per user, so a
-- replayed request finds the original row (API §4.2 step 1, §6.7).
-- prescriptions.estimated_duration and actual_duration are in seconds, as
-- in the data model; the API reports minutes.

create table workouts (
	id                 text primary key default mm_id('workout'),
	user_id            text not null references users (id) on delete cascade,
	date               date not null,
	total_tu           real not null check (total_tu >= 0),
	credits_used       integer not null default 25 check (credits_used >= 0),
	notes              text,
	is_public          boolean not null default true,
	exercise_data      jsonb not null default '[]'::jsonb,
	muscle_activations jsonb not null default '{}'::jsonb,
	created_at         timestamptz not null default now(),
	idempotency_key    text,
	constraint workouts_user_id_idempotency_key_key
		unique (user_id, idempotency_key)
);

create index idx_workouts_user on workouts (user_id);
create index idx_workouts_date on workouts (date);
-- Serves both "user + date" filters and the list order of API §4.3
-- (date desc, then created_at desc).
create index idx_workouts_user_date on workouts
	(user_id, date desc, created_at desc);
create index idx_workouts_public on workouts (created_at desc)
	where is_public;

create table prescriptions (
	id                 text primary key default mm_id('rx'),
	user_id            text not null references users (id) on delete cascade,
	constraints        jsonb not null,
	exercises          jsonb not null,
	warmup             jsonb,
	cooldown           jsonb,
	substitutions      jsonb,
	muscle_coverage    jsonb not null,
	estimated_duration integer not null check (estimated_duration > 0),
	actual_duration    integer not null check (actual_duration > 0),
	credit_cost        integer not null default 1 check (credit_cost >= 0),
	created_at         timestamptz not null default now(),
	idempotency_key    text,
	constraint prescriptions_user_id_idempotency_key_key
		unique (user_id, idempotency_key)
);

create index prescriptions_user_idx on prescriptions (user_id, created_at desc);
