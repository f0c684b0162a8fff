-- Exercise catalog: muscles, exercises, their activations, and the
-- equipment and location reference tables the catalog's JSON arrays point
-- to (API §3, §6.7).
--
-- catalog_meta holds a single version counter. Statement-level triggers on
-- muscles, exercises and exercise_activations bump it whenever a statement
-- really changed rows, so the catalog binary and nginx can tell that their
-- cached copies are stale. The triggers use transition tables so that a
-- statement touching no rows (for instance an idempotent re-seed whose
-- ON CONFLICT ... WHERE filter skips every row) does not bump the version.
-- PostgreSQL allows a transition table only on a single-event trigger,
-- hence one trigger per event.

create table muscles (
	id                    text primary key,
	name                  text not null,
	anatomical_name       text,
	muscle_group          text not null,
	bias_weight           real not null check (bias_weight > 0),
	optimal_weekly_volume integer check (optimal_weekly_volume >= 0),
	recovery_time         integer check (recovery_time >= 0)
);

create index idx_muscles_group on muscles (muscle_group);

create table equipment (
	id       text primary key,
	name     text not null,
	category text,
	source   text
);

create table locations (
	id                text primary key,
	name              text not null,
	has_all_equipment boolean not null default false,
	typical_equipment jsonb not null default '[]'::jsonb
	                  check (jsonb_typeof(typical_equipment) = 'array'),
	source            text
);

create table exercises (
	id                 text primary key,
	name               text not null,
	type               text not null,
	difficulty         integer not null default 2
	                   check (difficulty between 1 and 5),
	description        text,
	cues               text,
	primary_muscles    text[] not null default '{}',
	equipment_required jsonb not null default '[]'::jsonb
	                   check (jsonb_typeof(equipment_required) = 'array'),
	equipment_optional jsonb not null default '[]'::jsonb
	                   check (jsonb_typeof(equipment_optional) = 'array'),
	locations          jsonb not null default '["gym"]'::jsonb
	                   check (jsonb_typeof(locations) = 'array'),
	is_compound        boolean not null default false,
	estimated_seconds  integer not null default 45
	                   check (estimated_seconds > 0),
	rest_seconds       integer not null default 60
	                   check (rest_seconds >= 0),
	movement_pattern   text,
	facets_source      text,
	source_file        text
);

create index idx_exercises_type on exercises (type);
create index idx_exercises_difficulty on exercises (difficulty);
create index idx_exercises_name_trgm on exercises using gin (name gin_trgm_ops);
create index idx_exercises_locations on exercises using gin (locations);
create index idx_exercises_equipment_required on exercises
	using gin (equipment_required);

create table exercise_activations (
	exercise_id       text not null
	                  references exercises (id) on delete cascade,
	muscle_id         text not null
	                  references muscles (id) on delete cascade,
	activation        integer not null check (activation between 0 and 100),
	activation_source text
	                  check (activation_source in ('source', 'estimated')),
	primary key (exercise_id, muscle_id)
);

create index idx_exercise_activations_muscle on exercise_activations (muscle_id);

create table catalog_meta (
	id         integer primary key check (id = 1),
	version    bigint not null default 1,
	updated_at timestamptz not null default now()
);

insert into catalog_meta (id, version, updated_at) values (1, 1, now());

-- Bump the catalog version when the firing statement changed at least one
-- row. Each trigger names its transition table "changed_rows"; TRUNCATE
-- has no transition table and always bumps.
create or replace function bump_catalog_version()
returns trigger
language plpgsql
as $$
begin
	if exists (select 1 from changed_rows) then
		update catalog_meta
		   set version = version + 1, updated_at = now()
		 where id = 1;
	end if;
	return null;
end;
$$;

create or replace function bump_catalog_version_truncate()
returns trigger
language plpgsql
as $$
begin
	update catalog_meta set version = version + 1, updated_at = now()
	 where id = 1;
	return null;
end;
$$;

create trigger muscles_catalog_ins after insert on muscles
	referencing new table as changed_rows
	for each statement execute function bump_catalog_version();
create trigger muscles_catalog_upd after update on muscles
	referencing new table as changed_rows
	for each statement execute function bump_catalog_version();
create trigger muscles_catalog_del after delete on muscles
	referencing old table as changed_rows
	for each statement execute function bump_catalog_version();
create trigger muscles_catalog_trunc after truncate on muscles
	for each statement execute function bump_catalog_version_truncate();

create trigger exercises_catalog_ins after insert on exercises
	referencing new table as changed_rows
	for each statement execute function bump_catalog_version();
create trigger exercises_catalog_upd after update on exercises
	referencing new table as changed_rows
	for each statement execute function bump_catalog_version();
create trigger exercises_catalog_del after delete on exercises
	referencing old table as changed_rows
	for each statement execute function bump_catalog_version();
create trigger exercises_catalog_trunc after truncate on exercises
	for each statement execute function bump_catalog_version_truncate();

create trigger exercise_activations_catalog_ins after insert on exercise_activations
	referencing new table as changed_rows
	for each statement execute function bump_catalog_version();
create trigger exercise_activations_catalog_upd after update on exercise_activations
	referencing new table as changed_rows
	for each statement execute function bump_catalog_version();
create trigger exercise_activations_catalog_del after delete on exercise_activations
	referencing old table as changed_rows
	for each statement execute function bump_catalog_version();
create trigger exercise_activations_catalog_trunc after truncate on exercise_activations
	for each statement execute function bump_catalog_version_truncate();
