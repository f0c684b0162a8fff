-- Staging tables for the reference CSV files (sql/data/*.csv). The seeding
-- tool runs, in one transaction: this file, one
--   COPY stage_<file stem> FROM STDIN WITH (FORMAT csv, HEADER true)
-- per file, then upsert.sql. Every column is TEXT, in the CSV header order,
-- so COPY never fails on a type and upsert.sql does all conversions in one
-- place. The tables disappear at commit.

create temp table stage_muscles (
	id                    text,
	name                  text,
	anatomical_name       text,
	muscle_group          text,
	bias_weight           text,
	optimal_weekly_volume text,
	recovery_hours        text
) on commit drop;

create temp table stage_equipment (
	id       text,
	name     text,
	category text,
	source   text
) on commit drop;

create temp table stage_locations (
	id                text,
	name              text,
	has_all_equipment text,
	typical_equipment text,
	source            text
) on commit drop;

create temp table stage_exercises (
	id                 text,
	name               text,
	type               text,
	difficulty         text,
	description        text,
	cues               text,
	primary_muscles    text,
	equipment_required text,
	equipment_optional text,
	locations          text,
	is_compound        text,
	estimated_seconds  text,
	rest_seconds       text,
	movement_pattern   text,
	facets_source      text,
	source_file        text
) on commit drop;

create temp table stage_exercise_activations (
	exercise_id       text,
	muscle_id         text,
	activation        text,
	activation_source text
) on commit drop;

create temp table stage_archetypes (
	id          text,
	name        text,
	philosophy  text,
	description text,
	focus_areas text
) on commit drop;

create temp table stage_archetype_levels (
	archetype_id   text,
	level          text,
	name           text,
	total_tu       text,
	description    text,
	muscle_targets text
) on commit drop;

create temp table stage_tips (
	id              text,
	trigger_type    text,
	trigger_value   text,
	category        text,
	title           text,
	content         text,
	priority        text,
	display_context text,
	min_level       text,
	max_level       text
) on commit drop;

create temp table stage_milestones (
	id              text,
	name            text,
	description     text,
	category        text,
	condition_type  text,
	condition_value text,
	threshold       text,
	reward_credits  text,
	reward_type     text,
	reward_tip_id   text
) on commit drop;

create temp table stage_credit_actions (
	id           text,
	name         text,
	description  text,
	default_cost text,
	plugin_id    text,
	enabled      text
) on commit drop;
