-- Tips, milestones and per-user progress (API §10).
--
-- milestones carries both shapes of the source data: the data model's
-- condition_type / condition_value / reward_credits and the seed's
-- threshold / reward_type / reward_tip_id (see sql/data/README.md,
-- choice 4). user_tips_seen stores both "seen" and "dismissed": either
-- hides the tip from that user.

create table tips (
	id              text primary key,
	trigger_type    text not null,
	trigger_value   text,
	category        text not null,
	title           text not null,
	content         text not null,
	priority        integer not null default 0,
	display_context text[],
	min_level       integer not null default 1,
	max_level       integer,
	created_at      timestamptz not null default now(),
	constraint tips_level_range_check
		check (max_level is null or max_level >= min_level)
);

create index tips_trigger_idx on tips (trigger_type, trigger_value);

create table user_tips_seen (
	user_id text not null references users (id) on delete cascade,
	tip_id  text not null references tips (id) on delete cascade,
	seen_at timestamptz not null default now(),
	primary key (user_id, tip_id)
);

create table milestones (
	id              text primary key,
	name            text not null,
	description     text,
	category        text not null,
	condition_type  text not null,
	condition_value jsonb not null,
	reward_credits  integer not null default 0 check (reward_credits >= 0),
	badge_icon      text,
	created_at      timestamptz not null default now(),
	threshold       integer check (threshold > 0),
	reward_type     text,
	reward_tip_id   text references tips (id) on delete set null
);

create table user_milestone_progress (
	user_id        text not null references users (id) on delete cascade,
	milestone_id   text not null references milestones (id) on delete cascade,
	progress       integer not null default 0,
	completed_at   timestamptz,
	reward_claimed boolean not null default false,
	primary key (user_id, milestone_id)
);

create index user_milestone_progress_milestone_idx on user_milestone_progress (milestone_id);
