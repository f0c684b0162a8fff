-- Training archetypes and their progression levels (API §6). Created before
-- users because users.current_archetype_id references archetypes.
-- archetype_levels keeps the data model's serial id; the natural key is
-- (archetype_id, level), which the seed upserts on.

create table archetypes (
	id          text primary key,
	name        text not null,
	philosophy  text,
	description text,
	focus_areas jsonb,
	icon_url    text
);

create table archetype_levels (
	id             serial primary key,
	archetype_id   text not null references archetypes (id) on delete cascade,
	level          integer not null check (level > 0),
	name           text not null,
	total_tu       integer not null check (total_tu >= 0),
	description    text,
	muscle_targets jsonb,
	constraint archetype_levels_archetype_id_level_key
		unique (archetype_id, level)
);
