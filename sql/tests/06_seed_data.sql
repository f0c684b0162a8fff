-- The reference data after seeding (sql/seed/*.sql with sql/data/*.csv).
-- This is the only test file that depends on seed data: when the catalog
-- has not been seeded (no muscle 'chest-mid'), every test is skipped.

begin;
select plan(24);

select case
	when not exists (select 1 from muscles where id = 'chest-mid') then
		skip('reference data not seeded', 24)
	else collect_tap(
		is((select count(*)::int from muscles), 44, '44 muscles'),
		is((select count(*)::int from exercises), 222, '222 exercises'),
		is((select count(*)::int from exercise_activations), 1112, '1112 activations'),
		is((select count(*)::int from equipment), 55, '55 equipment items'),
		is((select count(*)::int from locations), 9, '9 location types'),
		is((select count(*)::int from archetypes), 10, '10 archetypes'),
		is((select count(*)::int from archetype_levels), 100, '100 archetype levels'),
		is((select count(*)::int from tips), 32, '32 tips'),
		is((select count(*)::int from milestones), 10, '10 milestones'),
		is((select count(*)::int from credit_actions), 4, '4 credit actions'),
		is((select (bias_weight, optimal_weekly_volume, recovery_time)::text
		      from muscles where id = 'glute-max'),
		   '(22,63,48)', 'recovery_hours is loaded into recovery_time'),
		ok((select bool_and(bias_weight between 4 and 22) from muscles),
		   'bias weights are 4..22'),
		is((select round(sum(3 * a.activation / m.bias_weight)::numeric, 2)
		      from exercise_activations a join muscles m on m.id = a.muscle_id
		     where a.exercise_id = 'bw-pushup'),
		   91.67, 'API §4.1 worked example: 3 sets of bw-pushup = 91.67 TU'),
		is((select primary_muscles from exercises where id = 'bw-pushup'),
		   array['chest-mid', 'triceps-lateral', 'delt-front'],
		   'primary_muscles is a text[] in file order'),
		is((select (is_compound, estimated_seconds, rest_seconds)::text
		      from exercises where id = 'bw-ring-dip'),
		   '(f,45,60)', 'empty facet cells take the schema defaults'),
		is((select locations from exercises where id = 'bw-ring-dip'),
		   '["gym"]'::jsonb, 'locations are jsonb arrays'),
		is((select count(*)::int from exercises
		     where source_file is null and facets_source = 'added'), 60,
		   'added exercises have no source file'),
		is((select (condition_type, threshold, reward_credits, reward_tip_id)::text
		      from milestones where id = 'ms_first_workout'),
		   '(workouts_completed,1,10,tip_milestone_first_workout)',
		   'ms_first_workout: workouts_completed, target 1, reward 10'),
		is((select (condition_type, condition_value ->> 'threshold', reward_credits)::text
		      from milestones where id = 'ms_week_streak'),
		   '(streak_days,7,50)', 'ms_week_streak: streak_days, target 7, reward 50'),
		is((select default_cost from credit_actions where id = 'workout'), 25,
		   'a workout costs 25 credits'),
		is((select default_cost from credit_actions where id = 'prescription'), 1,
		   'a prescription costs 1 credit'),
		is((select count(*)::int from archetype_levels where level = 1 and total_tu = 0), 10,
		   'level 1 of every archetype is at 0 TU'),
		is((select display_context from tips where id = 'tip_muscle_core'),
		   array['during_exercise', 'between_sets'], 'display_context is a text[]'),
		is((select max_level from tips where id = 'tip_ex_pushup_line'), null,
		   'an empty max_level is NULL')
	)
end;

select * from finish();
rollback;
