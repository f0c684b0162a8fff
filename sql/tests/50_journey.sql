-- Journey functions (API §6.1-§6.6): levels from total TU, archetype
-- selection without events, journey_after_workout (one level_up per level,
-- from several levels behind, nothing on a second call, the event objects
-- it returns), the unique level_up index, the streak, the overview's
-- formulas and nulls, weekly progress and the muscle balance rule with
-- focus areas. Creates its own archetype, levels, muscles and users; needs
-- no seed data (the seeded catalog, when present, only adds groups).

begin;
select plan(60);

insert into archetypes (id, name, philosophy, description, focus_areas)
values ('pgtap50-arch', 'Pgtap Lifter', 'p', 'd', '["pgtap50-focus"]'),
       ('pgtap50-other', 'Pgtap Other', 'p', 'd', '["cardio"]');
insert into archetype_levels (archetype_id, level, name, total_tu, description,
    muscle_targets)
values ('pgtap50-arch', 1, 'One', 0, 'first', '["chest-mid"]'),
       ('pgtap50-arch', 2, 'Two', 100, 'second', null),
       ('pgtap50-arch', 3, 'Three', 300, 'third', '[]'),
       ('pgtap50-arch', 4, 'Four', 700, 'fourth', '[]'),
       ('pgtap50-arch', 5, 'Five', 1500, 'fifth', '[]'),
       ('pgtap50-other', 1, 'Other One', 0, null, null),
       ('pgtap50-other', 2, 'Other Two', 50, null, null);
insert into muscles (id, name, muscle_group, bias_weight, optimal_weekly_volume)
values ('pgtap50-focus-m', 'Focus Muscle', 'Pgtap50-Focus', 10, 10),
       ('pgtap50-plain-m', 'Plain Muscle', 'Pgtap50-Plain', 10, 10),
       ('pgtap50-idle-m', 'Idle Muscle', 'Pgtap50-Idle', 10, 10);

insert into users (id, email, username, display_name, password_hash,
    trial_started_at, trial_ends_at)
values ('user_pgtap50a', 'pgtap50a@test.invalid', 'pgtap50a', 'Pgtap A', 'x',
        now(), now() + interval '90 days'),
       ('user_pgtap50b', 'pgtap50b@test.invalid', 'pgtap50b', null, 'x',
        now(), now() + interval '90 days');

create temp table w_ins (d date, tu real, acts jsonb) on commit drop;

-- Levels and totals.
insert into workouts (user_id, date, total_tu, credits_used)
values ('user_pgtap50a', (now() at time zone 'UTC')::date - 10, 91.67, 0),
       ('user_pgtap50a', (now() at time zone 'UTC')::date - 10, 8.33, 0);
select is(journey_total_tu('user_pgtap50a'), 100.00::numeric,
	'total TU sums every workout, rounded to 2 decimals');
select is(journey_total_tu('user_pgtap50b'), 0::numeric, 'no workouts: 0 TU');
select is((journey_level_at('pgtap50-arch', 100)).level, 2,
	'a threshold reached exactly counts');
select is((journey_level_at('pgtap50-arch', 99.99)).level, 1, 'just below stays');
select is((journey_level_at('pgtap50-arch', 100000)).name, 'Five', 'top level');

-- Archetypes and levels documents.
select ok(journey_archetypes()::jsonb @> '[{"id":"pgtap50-arch","name":"Pgtap Lifter",
	"philosophy":"p","description":"d","focusAreas":["pgtap50-focus"],"iconUrl":null}]',
	'journey_archetypes lists the archetype with its fields');
select is(journey_levels('pgtap50-arch')::jsonb -> 0,
	'{"level":1,"name":"One","totalTu":0,"description":"first","muscleTargets":["chest-mid"]}'::jsonb,
	'level objects carry level, name, totalTu, description, muscleTargets');
select is((select array_agg((l->>'level')::int) from json_array_elements(
	journey_levels('pgtap50-arch')) l), array[1,2,3,4,5], 'levels sorted by level');
select is(journey_levels('pgtap50-arch')::jsonb -> 1 -> 'muscleTargets', '[]'::jsonb,
	'missing muscle targets are an empty list');
select throws_ok($$select journey_levels('pgtap50-nope')$$, 'MM404',
	'Archetype not found', 'unknown archetype levels: MM404');

-- Overview without an archetype (§6.4 nulls).
select is(journey_overview('user_pgtap50a')::jsonb,
	jsonb_build_object('archetype', null, 'level', 1, 'levelName', null,
	    'totalTu', 100, 'tuToNextLevel', null, 'nextLevelTu', null,
	    'progressPercent', 0, 'totalWorkouts', 2, 'streak', 0),
	'overview without an archetype');
select is(journey_after_workout('user_pgtap50a'), '[]'::jsonb,
	'no archetype: no level_up');

-- Selecting sets the derived level, without events.
select is(journey_select('user_pgtap50a', 'pgtap50-arch')::jsonb,
	'{"success":true,"archetype":{"id":"pgtap50-arch","name":"Pgtap Lifter"},"level":2,"levelName":"Two"}'::jsonb,
	'select answers the archetype and the derived level');
select is((select (current_archetype_id, current_level)::text from users
	    where id = 'user_pgtap50a'), '(pgtap50-arch,2)', 'select stores archetype and level');
select is((select count(*)::int from activity_events where user_id = 'user_pgtap50a'), 0,
	'select writes no level_up event');
select throws_ok($$select journey_select('user_pgtap50a', 'pgtap50-nope')$$, 'MM404',
	'Archetype not found', 'unknown archetype: MM404');
select is((select current_archetype_id from users where id = 'user_pgtap50a'),
	'pgtap50-arch', 'a failed select changes nothing');
select is(journey_after_workout('user_pgtap50a'), '[]'::jsonb,
	'already at the derived level: nothing');

-- Overview formulas (§6.4) at level 2 with 250 TU: next 300.
insert into workouts (user_id, date, total_tu, credits_used)
values ('user_pgtap50a', (now() at time zone 'UTC')::date - 9, 150, 0);
select is(journey_overview('user_pgtap50a')::jsonb,
	jsonb_build_object('archetype', jsonb_build_object('id', 'pgtap50-arch', 'name', 'Pgtap Lifter'),
	    'level', 2, 'levelName', 'Two', 'totalTu', 250, 'tuToNextLevel', 50,
	    'nextLevelTu', 300, 'progressPercent', 83, 'totalWorkouts', 3, 'streak', 0),
	'overview: level, next threshold, TU to go, floor(100 x 250 / 300) = 83');

-- Several levels behind: 250 -> 800 TU reaches levels 3 and 4 at once.
insert into workouts (user_id, date, total_tu, credits_used)
values ('user_pgtap50a', (now() at time zone 'UTC')::date - 8, 550, 0);
create temp table ev (n serial, e jsonb) on commit drop;
insert into ev (e) select jsonb_array_elements(journey_after_workout('user_pgtap50a'));
select is((select count(*)::int from ev), 2, 'two levels reached: two events returned');
select is((select array_agg((e->'payload'->>'level')::int order by n) from ev),
	array[3, 4], 'one event per level, in level order');
select is((select e->'payload' from ev where n = 1),
	'{"archetypeId":"pgtap50-arch","level":3,"levelName":"Three"}'::jsonb,
	'payload archetypeId, level, levelName');
select is((select array_agg(k order by k) from ev, jsonb_object_keys(e) k where n = 1),
	array['createdAt','displayName','eventType','id','payload','userId','username',
	      'visibilityScope'], 'feed event object keys');
select is((select (e->>'eventType', e->>'userId', e->>'username', e->>'displayName',
	e->>'visibilityScope')::text from ev where n = 2),
	'(level_up,user_pgtap50a,pgtap50a,"Pgtap A",public_profile)',
	'event type, identity and public_profile visibility');
select matches((select e->>'id' from ev where n = 1), '^evt_[0-9a-f]{32}$', 'event id format');
select matches((select e->>'createdAt' from ev where n = 1),
	'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$', 'createdAt is ISO UTC');
select is((select count(*)::int from activity_events a join ev on a.id = ev.e->>'id'
	    where a.event_type = 'level_up' and a.visibility_scope = 'public_profile'
	      and a.payload = ev.e->'payload'), 2, 'the returned events are the stored rows');
select is((select current_level from users where id = 'user_pgtap50a'), 4,
	'current_level raised to the highest level reached');

-- A second call: nothing new.
select is(journey_after_workout('user_pgtap50a'), '[]'::jsonb, 'second call: empty array');
select is((select count(*)::int from activity_events
	    where user_id = 'user_pgtap50a' and event_type = 'level_up'), 2,
	'still exactly one event per level');

-- The unique index refuses a second event for the same level.
select throws_ok($$insert into activity_events (user_id, event_type, payload, visibility_scope)
	values ('user_pgtap50a', 'level_up',
	        '{"archetypeId":"pgtap50-arch","level":3,"levelName":"Three"}', 'public_profile')$$,
	'23505', null, 'a duplicate level_up row is refused');
select lives_ok($$insert into activity_events (user_id, event_type, payload, visibility_scope)
	values ('user_pgtap50a', 'workout_completed', '{"level":3,"archetypeId":"pgtap50-arch"}',
	        'public_anon')$$, 'other event types are not constrained');

-- A stale current_level (lowered by hand) is brought up to date without
-- announcing levels 3 and 4 a second time.
update users set current_level = 2 where id = 'user_pgtap50a';
select is(journey_after_workout('user_pgtap50a'), '[]'::jsonb,
	'levels already announced are not announced again');
select is((select current_level from users where id = 'user_pgtap50a'), 4,
	'but current_level is brought up to date');

-- Top level: next null, 0 to go, 100 percent.
insert into workouts (user_id, date, total_tu, credits_used)
values ('user_pgtap50a', (now() at time zone 'UTC')::date - 7, 1000, 0);
select is(jsonb_array_length(journey_after_workout('user_pgtap50a')), 1, 'level 5 reached');
select is(journey_overview('user_pgtap50a')::jsonb - 'archetype' - 'totalWorkouts' - 'streak',
	'{"level":5,"levelName":"Five","totalTu":1800,"tuToNextLevel":0,"nextLevelTu":null,"progressPercent":100}'::jsonb,
	'top level: nextLevelTu null, tuToNextLevel 0, progressPercent 100');

-- Switching archetype sets the derived level there, again without events.
select is((journey_select('user_pgtap50a', 'pgtap50-other')::jsonb)->>'levelName', 'Other Two',
	'switching archetypes derives the level there');
select is((select count(*)::int from activity_events
	    where user_id = 'user_pgtap50a' and event_type = 'level_up'), 3,
	'no events for the switch');
select is(journey_after_workout('user_pgtap50a'), '[]'::jsonb, 'nothing after the switch');

-- Streak (§6.6).
select is(journey_streak('user_pgtap50b'), 0, 'no workouts: streak 0');
insert into workouts (user_id, date, total_tu, credits_used)
values ('user_pgtap50b', (now() at time zone 'UTC')::date - 1, 1, 0),
       ('user_pgtap50b', (now() at time zone 'UTC')::date - 2, 1, 0),
       ('user_pgtap50b', (now() at time zone 'UTC')::date - 2, 1, 0),
       ('user_pgtap50b', (now() at time zone 'UTC')::date - 4, 1, 0);
select is(journey_streak('user_pgtap50b'), 2, 'ending yesterday when none today');
insert into workouts (user_id, date, total_tu, credits_used)
values ('user_pgtap50b', (now() at time zone 'UTC')::date, 1, 0),
       ('user_pgtap50b', (now() at time zone 'UTC')::date + 1, 1, 0);
select is(journey_streak('user_pgtap50b'), 3, 'ending today; tomorrow does not count');
insert into workouts (user_id, date, total_tu, credits_used)
values ('user_pgtap50b', (now() at time zone 'UTC')::date - 3, 1, 0);
select is(journey_streak('user_pgtap50b'), 5, 'filling the gap joins the runs');
delete from workouts where user_id = 'user_pgtap50b'
   and date >= (now() at time zone 'UTC')::date - 1;
select is(journey_streak('user_pgtap50b'), 0, 'last workout two days ago: 0');
delete from workouts where user_id = 'user_pgtap50b';

-- Weekly progress (§6.6) and the balance rule.
insert into workouts (user_id, date, total_tu, credits_used, muscle_activations)
values ('user_pgtap50b', (now() at time zone 'UTC')::date, 36.5, 0,
        '{"pgtap50-focus-m":16,"pgtap50-plain-m":16,"unknown-muscle":4.5}'),
       ('user_pgtap50b', date_trunc('week', now() at time zone 'UTC')::date - 1, 99, 0,
        '{"pgtap50-idle-m":99}');
create temp table pr (doc jsonb) on commit drop;
insert into pr select journey_progress('user_pgtap50b')::jsonb;
select is((select doc->'weeklyProgress'->>'weekStart' from pr),
	to_char(date_trunc('week', now() at time zone 'UTC'), 'YYYY-MM-DD'),
	'weekStart is the Monday of the ISO week');
select is((select extract(isodow from (doc->'weeklyProgress'->>'weekStart')::date)::int from pr),
	1, 'weekStart is a Monday');
select is((select (doc->'weeklyProgress'->>'workouts')::int from pr), 1,
	'only this week''s workouts count');
select is((select (doc->'weeklyProgress'->>'totalTu')::numeric from pr), 36.5, 'weekly TU');
select is((select doc->'weeklyProgress'->'muscleActivations' from pr),
	'{"Pgtap50-Focus":16,"Pgtap50-Plain":16}'::jsonb,
	'activations by muscle group, unknown muscles and last week left out');
select is((select doc->>'streak' from pr), '1', 'progress carries the streak');
-- Target 10 TU each; 16 > 1.25 x 10: overworked without a focus.
select ok((select doc->'muscleBalance'->'overworked' @> '["Pgtap50-Focus","Pgtap50-Plain"]'
	   from pr), 'over 125% of the weekly target: overworked');
select ok((select doc->'muscleBalance'->'underworked' @> '["Pgtap50-Idle"]' from pr),
	'nothing this week: underworked');
select is((select count(*)::int from pr,
	jsonb_array_elements_text((doc->'muscleBalance'->'overworked')
	    || (doc->'muscleBalance'->'underworked')
	    || (doc->'muscleBalance'->'balanced')) g),
	(select count(distinct muscle_group)::int from muscles),
	'every muscle group is in one list');
select is((select count(distinct g)::int from pr,
	jsonb_array_elements_text((doc->'muscleBalance'->'overworked')
	    || (doc->'muscleBalance'->'underworked')
	    || (doc->'muscleBalance'->'balanced')) g),
	(select count(distinct muscle_group)::int from muscles),
	'and in exactly one');
-- With the archetype whose focus is the group, its target is 15: 16 is fine.
update users set current_archetype_id = 'pgtap50-arch' where id = 'user_pgtap50b';
delete from pr;
insert into pr select journey_progress('user_pgtap50b')::jsonb;
select ok((select doc->'muscleBalance'->'balanced' @> '["Pgtap50-Focus"]' from pr),
	'a focus area raises the target by half: balanced');
select ok((select doc->'muscleBalance'->'overworked' @> '["Pgtap50-Plain"]' from pr),
	'other groups keep their target');
select is((select count(*)::int from journey_focus_groups('LEGS') g
	    where g in ('Quads', 'Hamstrings', 'Glutes', 'Calves', 'Adductors')),
	(select count(distinct muscle_group)::int from muscles
	  where muscle_group in ('Quads', 'Hamstrings', 'Glutes', 'Calves', 'Adductors')),
	'the legs tag maps to every leg group there is');
select is((select count(*)::int from journey_focus_groups('cardio')), 0,
	'a quality tag maps to no group');
select is((select array_agg(g) from journey_focus_groups('pgtap50-plain-m') g),
	array['Pgtap50-Plain'], 'a muscle id maps to its group');

-- Selecting for a user that does not exist.
select throws_ok($$select journey_select('user_pgtap50-gone', 'pgtap50-arch')$$, 'MM401',
	'Your account no longer exists', 'unknown user: MM401');

select * from finish();
rollback;
