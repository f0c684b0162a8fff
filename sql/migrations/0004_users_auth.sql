-- Accounts, refresh tokens, per-user settings and the presence fallback.
--
-- Email uniqueness: the API stores emails lower-cased and treats both email
-- and username as unique case-insensitively (API §2.1). The named indexes
-- idx_users_email / idx_users_username are the plain UNIQUE constraints of
-- the data model (so exact-match lookups and col_is_unique see them); the
-- unique indexes on lower(...) enforce case-insensitive uniqueness even if
-- a mixed-case value is ever written directly.
--
-- refresh_tokens: lookups of active tokens use the partial index from the
-- data model; theft detection (API §2.3) must also find revoked tokens, so
-- token_hash is unique over all rows as well.
--
-- presence is the PostgreSQL fallback for heartbeats when Redis is off
-- (API §7.2): one row per user, "present" means last_seen within 120 s.

create table users (
	id                   text primary key default mm_id('user'),
	email                text not null,
	username             text not null,
	display_name         text,
	password_hash        text not null,
	avatar_url           text,
	roles                jsonb not null default '["user"]'::jsonb
	                     check (jsonb_typeof(roles) = 'array'),
	flags                jsonb not null
	                     default '{"verified":false,"banned":false,"suspended":false,"emailConfirmed":false}'::jsonb
	                     check (jsonb_typeof(flags) = 'object'),
	current_archetype_id text references archetypes (id) on delete set null,
	current_level        integer not null default 1 check (current_level >= 1),
	trial_started_at     timestamptz,
	trial_ends_at        timestamptz,
	created_at           timestamptz not null default now(),
	updated_at           timestamptz not null default now(),
	constraint idx_users_email unique (email),
	constraint idx_users_username unique (username)
);

create unique index users_email_lower_key on users (lower(email));
create unique index users_username_lower_key on users (lower(username));
create index idx_users_created_at on users (created_at);
create index idx_users_roles on users using gin (roles);

create trigger users_updated_at before update on users
	for each row execute function update_updated_at();

create table refresh_tokens (
	id         text primary key default mm_id('rt'),
	user_id    text not null references users (id) on delete cascade,
	token_hash text not null,
	expires_at timestamptz not null,
	created_at timestamptz not null default now(),
	revoked_at timestamptz,
	constraint refresh_tokens_token_hash_key unique (token_hash)
);

create index idx_refresh_tokens_user on refresh_tokens (user_id);
create index idx_refresh_tokens_hash on refresh_tokens (token_hash)
	where revoked_at is null;

create table user_settings (
	user_id    text primary key references users (id) on delete cascade,
	settings   jsonb not null default '{}'::jsonb
	           check (jsonb_typeof(settings) = 'object'),
	updated_at timestamptz not null default now()
);

create table presence (
	user_id    text primary key references users (id) on delete cascade,
	geo_bucket text,
	stage_id   text,
	last_seen  timestamptz not null default now()
);

create index presence_last_seen_idx on presence (last_seen);

create trigger user_settings_updated_at before update on user_settings
	for each row execute function update_updated_at();
