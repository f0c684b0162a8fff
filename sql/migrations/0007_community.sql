-- Groups, competitions, the activity feed, blocks and high-fives (API §7).
--
-- group_memberships: "no group ever has zero or two owners" (API §7.7). A
-- partial unique index allows at most one owner per group. It is a plain
-- (non-deferrable) index on purpose: a deferrable constraint would make
-- every "INSERT ... ON CONFLICT DO NOTHING" on the table fail. It is checked
-- row by row, so an ownership transfer demotes the old owner first and then
-- promotes the new one (two statements in one transaction).
--
-- group_invitations records invitations to private groups.
--
-- activity_events is paged newest first with (created_at, id) as the cursor
-- key (API §1.8), hence the (created_at desc, id desc) indexes. Its
-- created_at defaults to clock_timestamp() instead of now(), so that events
-- written in one transaction (workout_completed, then level_up and
-- milestone_achieved) keep their order in the feed.
-- activity_events.user_id is SET NULL when the user goes away so the feed
-- keeps its history.

create table groups (
	id          text primary key default mm_id('grp'),
	name        text not null,
	description text,
	avatar_url  text,
	owner_id    text not null references users (id) on delete cascade,
	settings    jsonb not null default '{}'::jsonb
	            check (jsonb_typeof(settings) = 'object'),
	created_at  timestamptz not null default now(),
	updated_at  timestamptz not null default now(),
	constraint groups_visibility_check
		check ((settings ->> 'visibility') is null
		       or (settings ->> 'visibility') in ('public', 'private'))
);

create index groups_owner_idx on groups (owner_id);
create index groups_name_trgm_idx on groups using gin (name gin_trgm_ops);

create trigger groups_updated_at before update on groups
	for each row execute function update_updated_at();

create table group_memberships (
	group_id  text not null references groups (id) on delete cascade,
	user_id   text not null references users (id) on delete cascade,
	role      text not null
	          check (role in ('member', 'moderator', 'admin', 'owner')),
	joined_at timestamptz not null default now(),
	primary key (group_id, user_id)
);

create unique index group_memberships_one_owner on group_memberships (group_id)
	where role = 'owner';

create index group_memberships_user_idx on group_memberships (user_id);

create table group_invitations (
	group_id   text not null references groups (id) on delete cascade,
	user_id    text not null references users (id) on delete cascade,
	invited_by text references users (id) on delete set null,
	created_at timestamptz not null default now(),
	primary key (group_id, user_id)
);

create index group_invitations_user_idx on group_invitations (user_id);

create table competitions (
	id               text primary key default mm_id('comp'),
	name             text not null,
	description      text,
	creator_id       text not null references users (id) on delete cascade,
	type             text not null
	                 check (type in ('total_tu', 'streak', 'workouts', 'custom')),
	status           text not null default 'draft'
	                 check (status in ('draft', 'active', 'completed', 'canceled')),
	start_date       timestamptz not null,
	end_date         timestamptz not null,
	max_participants integer check (max_participants > 0),
	entry_fee        integer not null default 0 check (entry_fee >= 0),
	prize_pool       integer not null default 0 check (prize_pool >= 0),
	rules            jsonb,
	is_public        boolean not null default true,
	created_at       timestamptz not null default now(),
	constraint competitions_dates_check check (end_date > start_date)
);

create index competitions_start_idx on competitions (start_date desc);
create index competitions_creator_idx on competitions (creator_id);

create table competition_participants (
	competition_id text not null references competitions (id) on delete cascade,
	user_id        text not null references users (id) on delete cascade,
	score          real not null default 0,
	rank           integer,
	joined_at      timestamptz not null default now(),
	entry_fee_paid integer not null default 0 check (entry_fee_paid >= 0),
	primary key (competition_id, user_id)
);

create index competition_participants_user_idx on competition_participants (user_id);

create table activity_events (
	id               text primary key default mm_id('evt'),
	user_id          text references users (id) on delete set null,
	event_type       text not null,
	payload          jsonb not null default '{}'::jsonb,
	visibility_scope text not null
	                 check (visibility_scope in ('public_anon', 'public_profile', 'private')),
	geo_bucket       text,
	created_at       timestamptz not null default clock_timestamp()
);

create index idx_activity_events_created on activity_events
	(created_at desc, id desc);
create index idx_activity_events_user on activity_events
	(user_id, created_at desc, id desc);
create index idx_activity_events_visibility on activity_events
	(visibility_scope, created_at desc, id desc);

create table user_blocks (
	blocker_id text not null references users (id) on delete cascade,
	blocked_id text not null references users (id) on delete cascade,
	created_at timestamptz not null default now(),
	primary key (blocker_id, blocked_id),
	constraint user_blocks_not_self check (blocker_id <> blocked_id)
);

create index user_blocks_blocked_idx on user_blocks (blocked_id);

create table high_fives (
	id           text primary key default mm_id('hf'),
	sender_id    text not null references users (id) on delete cascade,
	recipient_id text not null references users (id) on delete cascade,
	reason       text,
	created_at   timestamptz not null default now(),
	constraint high_fives_not_self check (sender_id <> recipient_id)
);

create index high_fives_sender_idx on high_fives (sender_id, created_at);
create index high_fives_recipient_idx on high_fives (recipient_id, created_at);
