-- Catalog reads.  The catalog binary loads these once per catalog version
-- into memory and answers from there; each function returns the rows with
-- their JSON already rendered in the contract's shape (§3).

CREATE OR REPLACE FUNCTION catalog_version() RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	RETURN (SELECT q.v FROM (
		SELECT version FROM catalog_meta WHERE id = 1
	) q(v) LIMIT 1);
END;
$$;

CREATE OR REPLACE FUNCTION catalog_muscles()
RETURNS TABLE (id text, muscle_group text, bias_weight real, doc text)
LANGUAGE sql STABLE AS $$
	SELECT m.id, m.muscle_group, m.bias_weight,
	       json_build_object(
		'id', m.id,
		'name', m.name,
		'anatomicalName', m.anatomical_name,
		'muscleGroup', m.muscle_group,
		'biasWeight', m.bias_weight,
		'optimalWeeklyVolume', m.optimal_weekly_volume,
		'recoveryTime', m.recovery_time)::text
	  FROM muscles m
	 ORDER BY m.muscle_group, m.name, m.id
$$;

CREATE OR REPLACE FUNCTION catalog_exercises()
RETURNS TABLE (id text, name text, difficulty integer, locations text,
	       equipment_required text, primary_muscles text,
	       estimated_seconds integer, rest_seconds integer,
	       movement_pattern text, is_compound boolean, doc text)
LANGUAGE sql STABLE AS $$
	SELECT e.id, e.name, e.difficulty,
	       COALESCE(e.locations, '[]'::jsonb)::text,
	       COALESCE(e.equipment_required, '[]'::jsonb)::text,
	       to_json(COALESCE(e.primary_muscles, '{}'::text[]))::text,
	       COALESCE(e.estimated_seconds, 45),
	       COALESCE(e.rest_seconds, 60),
	       e.movement_pattern,
	       COALESCE(e.is_compound, false),
	       json_build_object(
		'id', e.id,
		'name', e.name,
		'type', e.type,
		'difficulty', e.difficulty,
		'description', e.description,
		'cues', e.cues,
		'primaryMuscles', to_json(COALESCE(e.primary_muscles,
		    '{}'::text[])),
		'equipmentRequired', COALESCE(e.equipment_required,
		    '[]'::jsonb),
		'equipmentOptional', COALESCE(e.equipment_optional,
		    '[]'::jsonb),
		'locations', COALESCE(e.locations, '[]'::jsonb),
		'isCompound', COALESCE(e.is_compound, false),
		'estimatedSeconds', COALESCE(e.estimated_seconds, 45),
		'restSeconds', COALESCE(e.rest_seconds, 60),
		'movementPattern', e.movement_pattern)::text
	  FROM exercises e
	 ORDER BY e.name, e.id
$$;

CREATE OR REPLACE FUNCTION catalog_activations()
RETURNS TABLE (exercise_id text, muscle_id text, activation integer)
LANGUAGE sql STABLE AS $$
	SELECT a.exercise_id, a.muscle_id, a.activation
	  FROM exercise_activations a
	 ORDER BY a.exercise_id, a.activation DESC, a.muscle_id
$$;

-- Fuzzy name search (§3.2): every name containing the text as a
-- case-insensitive substring, plus trigram matches (pg_trgm's % operator,
-- which uses idx_exercises_name_trgm), best matches first.
CREATE OR REPLACE FUNCTION catalog_search(p_text text)
RETURNS TABLE (id text)
LANGUAGE sql STABLE AS $$
	SELECT e.id
	  FROM exercises e
	 WHERE strpos(lower(e.name), lower(p_text)) > 0
	    OR e.name % p_text
	 ORDER BY strpos(lower(e.name), lower(p_text)) > 0 DESC,
		  similarity(e.name, p_text) DESC, e.name, e.id
$$;
