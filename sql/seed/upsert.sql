-- Load the staged reference CSV rows (see stage.sql) into the real tables.
--
-- Conversions: an empty cell is NULL (COPY already turns unquoted empty
-- fields into NULL; nullif() also covers quoted ""); JSON cells become
-- jsonb; the JSON arrays primary_muscles and display_context become text[];
-- muscles.recovery_hours goes to recovery_time; empty is_compound,
-- estimated_seconds, rest_seconds, difficulty, priority, min_level,
-- reward_credits and enabled take the schema defaults.
--
-- Every table is upserted in foreign-key order with
-- INSERT ... ON CONFLICT DO UPDATE ... WHERE (row) IS DISTINCT FROM (new
-- row) (archetype_levels: see there), so re-running the seed on unchanged files updates no row and, in
-- particular, does not fire the catalog_meta version bump (whose triggers
-- only count changed rows). Activations and archetype levels that are no
-- longer in the files are deleted; the deletes are skipped when the staged
-- file is empty, so a missing file cannot wipe the catalog. Other catalog
-- rows are never deleted here: users, workouts, tips and milestones may
-- refer to them.

insert into equipment (id, name, category, source)
select s.id, s.name, nullif(s.category, ''), nullif(s.source, '')
  from stage_equipment s
on conflict (id) do update
   set name = excluded.name,
       category = excluded.category,
       source = excluded.source
 where (equipment.name, equipment.category, equipment.source)
       is distinct from
       (excluded.name, excluded.category, excluded.source);

insert into locations (id, name, has_all_equipment, typical_equipment, source)
select s.id, s.name,
       coalesce(nullif(s.has_all_equipment, '')::boolean, false),
       coalesce(nullif(s.typical_equipment, '')::jsonb, '[]'::jsonb),
       nullif(s.source, '')
  from stage_locations s
on conflict (id) do update
   set name = excluded.name,
       has_all_equipment = excluded.has_all_equipment,
       typical_equipment = excluded.typical_equipment,
       source = excluded.source
 where (locations.name, locations.has_all_equipment,
        locations.typical_equipment, locations.source)
       is distinct from
       (excluded.name, excluded.has_all_equipment,
        excluded.typical_equipment, excluded.source);

insert into muscles (id, name, anatomical_name, muscle_group, bias_weight,
    optimal_weekly_volume, recovery_time)
select s.id, s.name, nullif(s.anatomical_name, ''), s.muscle_group,
       nullif(s.bias_weight, '')::real,
       nullif(s.optimal_weekly_volume, '')::integer,
       nullif(s.recovery_hours, '')::integer
  from stage_muscles s
on conflict (id) do update
   set name = excluded.name,
       anatomical_name = excluded.anatomical_name,
       muscle_group = excluded.muscle_group,
       bias_weight = excluded.bias_weight,
       optimal_weekly_volume = excluded.optimal_weekly_volume,
       recovery_time = excluded.recovery_time
 where (muscles.name, muscles.anatomical_name, muscles.muscle_group,
        muscles.bias_weight, muscles.optimal_weekly_volume,
        muscles.recovery_time)
       is distinct from
       (excluded.name, excluded.anatomical_name, excluded.muscle_group,
        excluded.bias_weight, excluded.optimal_weekly_volume,
        excluded.recovery_time);

insert into exercises (id, name, type, difficulty, description, cues,
    primary_muscles, equipment_required, equipment_optional, locations,
    is_compound, estimated_seconds, rest_seconds, movement_pattern,
    facets_source, source_file)
select s.id, s.name, s.type,
       coalesce(nullif(s.difficulty, '')::integer, 2),
       nullif(s.description, ''),
       nullif(s.cues, ''),
       array(select e.v
               from jsonb_array_elements_text(
                        coalesce(nullif(s.primary_muscles, ''), '[]')::jsonb)
                    with ordinality as e(v, n)
              order by e.n),
       coalesce(nullif(s.equipment_required, '')::jsonb, '[]'::jsonb),
       coalesce(nullif(s.equipment_optional, '')::jsonb, '[]'::jsonb),
       coalesce(nullif(s.locations, '')::jsonb, '["gym"]'::jsonb),
       coalesce(nullif(s.is_compound, '')::boolean, false),
       coalesce(nullif(s.estimated_seconds, '')::integer, 45),
       coalesce(nullif(s.rest_seconds, '')::integer, 60),
       nullif(s.movement_pattern, ''),
       nullif(s.facets_source, ''),
       nullif(s.source_file, '')
  from stage_exercises s
on conflict (id) do update
   set name = excluded.name,
       type = excluded.type,
       difficulty = excluded.difficulty,
       description = excluded.description,
       cues = excluded.cues,
       primary_muscles = excluded.primary_muscles,
       equipment_required = excluded.equipment_required,
       equipment_optional = excluded.equipment_optional,
       locations = excluded.locations,
       is_compound = excluded.is_compound,
       estimated_seconds = excluded.estimated_seconds,
       rest_seconds = excluded.rest_seconds,
       movement_pattern = excluded.movement_pattern,
       facets_source = excluded.facets_source,
       source_file = excluded.source_file
 where (exercises.name, exercises.type, exercises.difficulty,
        exercises.description, exercises.cues, exercises.primary_muscles,
        exercises.equipment_required, exercises.equipment_optional,
        exercises.locations, exercises.is_compound,
        exercises.estimated_seconds, exercises.rest_seconds,
        exercises.movement_pattern, exercises.facets_source,
        exercises.source_file)
       is distinct from
       (excluded.name, excluded.type, excluded.difficulty,
        excluded.description, excluded.cues, excluded.primary_muscles,
        excluded.equipment_required, excluded.equipment_optional,
        excluded.locations, excluded.is_compound,
        excluded.estimated_seconds, excluded.rest_seconds,
        excluded.movement_pattern, excluded.facets_source,
        excluded.source_file);

insert into exercise_activations (exercise_id, muscle_id, activation,
    activation_source)
select s.exercise_id, s.muscle_id,
       nullif(s.activation, '')::integer,
       nullif(s.activation_source, '')
  from stage_exercise_activations s
on conflict (exercise_id, muscle_id) do update
   set activation = excluded.activation,
       activation_source = excluded.activation_source
 where (exercise_activations.activation,
        exercise_activations.activation_source)
       is distinct from
       (excluded.activation, excluded.activation_source);

delete from exercise_activations a
 where exists (select 1 from stage_exercise_activations)
   and not exists (select 1
                     from stage_exercise_activations s
                    where s.exercise_id = a.exercise_id
                      and s.muscle_id = a.muscle_id);

insert into archetypes (id, name, philosophy, description, focus_areas)
select s.id, s.name, nullif(s.philosophy, ''), nullif(s.description, ''),
       nullif(s.focus_areas, '')::jsonb
  from stage_archetypes s
on conflict (id) do update
   set name = excluded.name,
       philosophy = excluded.philosophy,
       description = excluded.description,
       focus_areas = excluded.focus_areas
 where (archetypes.name, archetypes.philosophy, archetypes.description,
        archetypes.focus_areas)
       is distinct from
       (excluded.name, excluded.philosophy, excluded.description,
        excluded.focus_areas);

-- archetype_levels has a serial id: INSERT ... ON CONFLICT would draw a
-- sequence value for every proposed row on every run, so changed rows are
-- updated and only missing ones inserted.
with s as (
	select a.archetype_id, nullif(a.level, '')::integer as level, a.name,
	       nullif(a.total_tu, '')::integer as total_tu,
	       nullif(a.description, '') as description,
	       nullif(a.muscle_targets, '')::jsonb as muscle_targets
	  from stage_archetype_levels a
), changed as (
	update archetype_levels l
	   set name = s.name,
	       total_tu = s.total_tu,
	       description = s.description,
	       muscle_targets = s.muscle_targets
	  from s
	 where l.archetype_id = s.archetype_id
	   and l.level = s.level
	   and (l.name, l.total_tu, l.description, l.muscle_targets)
	       is distinct from
	       (s.name, s.total_tu, s.description, s.muscle_targets)
	returning l.id
)
insert into archetype_levels (archetype_id, level, name, total_tu,
    description, muscle_targets)
select s.archetype_id, s.level, s.name, s.total_tu, s.description,
       s.muscle_targets
  from s
 where not exists (select 1
                     from archetype_levels l
                    where l.archetype_id = s.archetype_id
                      and l.level = s.level);

delete from archetype_levels l
 where exists (select 1 from stage_archetype_levels)
   and not exists (select 1
                     from stage_archetype_levels s
                    where s.archetype_id = l.archetype_id
                      and nullif(s.level, '')::integer = l.level);

insert into tips (id, trigger_type, trigger_value, category, title, content,
    priority, display_context, min_level, max_level)
select s.id, s.trigger_type, nullif(s.trigger_value, ''), s.category,
       s.title, s.content,
       coalesce(nullif(s.priority, '')::integer, 0),
       case when nullif(s.display_context, '') is null then null
            else array(select e.v
                         from jsonb_array_elements_text(s.display_context::jsonb)
                              with ordinality as e(v, n)
                        order by e.n)
       end,
       coalesce(nullif(s.min_level, '')::integer, 1),
       nullif(s.max_level, '')::integer
  from stage_tips s
on conflict (id) do update
   set trigger_type = excluded.trigger_type,
       trigger_value = excluded.trigger_value,
       category = excluded.category,
       title = excluded.title,
       content = excluded.content,
       priority = excluded.priority,
       display_context = excluded.display_context,
       min_level = excluded.min_level,
       max_level = excluded.max_level
 where (tips.trigger_type, tips.trigger_value, tips.category, tips.title,
        tips.content, tips.priority, tips.display_context, tips.min_level,
        tips.max_level)
       is distinct from
       (excluded.trigger_type, excluded.trigger_value, excluded.category,
        excluded.title, excluded.content, excluded.priority,
        excluded.display_context, excluded.min_level, excluded.max_level);

insert into milestones (id, name, description, category, condition_type,
    condition_value, threshold, reward_credits, reward_type, reward_tip_id)
select s.id, s.name, nullif(s.description, ''), s.category,
       s.condition_type, nullif(s.condition_value, '')::jsonb,
       nullif(s.threshold, '')::integer,
       coalesce(nullif(s.reward_credits, '')::integer, 0),
       nullif(s.reward_type, ''), nullif(s.reward_tip_id, '')
  from stage_milestones s
on conflict (id) do update
   set name = excluded.name,
       description = excluded.description,
       category = excluded.category,
       condition_type = excluded.condition_type,
       condition_value = excluded.condition_value,
       threshold = excluded.threshold,
       reward_credits = excluded.reward_credits,
       reward_type = excluded.reward_type,
       reward_tip_id = excluded.reward_tip_id
 where (milestones.name, milestones.description, milestones.category,
        milestones.condition_type, milestones.condition_value,
        milestones.threshold, milestones.reward_credits,
        milestones.reward_type, milestones.reward_tip_id)
       is distinct from
       (excluded.name, excluded.description, excluded.category,
        excluded.condition_type, excluded.condition_value,
        excluded.threshold, excluded.reward_credits,
        excluded.reward_type, excluded.reward_tip_id);

insert into credit_actions (id, name, description, default_cost, plugin_id,
    enabled)
select s.id, s.name, nullif(s.description, ''),
       nullif(s.default_cost, '')::integer, nullif(s.plugin_id, ''),
       coalesce(nullif(s.enabled, '')::boolean, true)
  from stage_credit_actions s
on conflict (id) do update
   set name = excluded.name,
       description = excluded.description,
       default_cost = excluded.default_cost,
       plugin_id = excluded.plugin_id,
       enabled = excluded.enabled
 where (credit_actions.name, credit_actions.description,
        credit_actions.default_cost, credit_actions.plugin_id,
        credit_actions.enabled)
       is distinct from
       (excluded.name, excluded.description, excluded.default_cost,
        excluded.plugin_id, excluded.enabled);
