-- The community feed (API §7.1, §1.8): visibility scopes, identity
-- stripping, blocks both ways, keyset cursors, and the indexes a page uses.
-- Creates its own users and events; other rows do not affect the checks.

begin;
select plan(16);

insert into users (id, email, username, password_hash)
values ('user_pgtap60a', 'pgtap60a@test.invalid', 'pgtap60a', 'x'),
       ('user_pgtap60b', 'pgtap60b@test.invalid', 'pgtap60b', 'x'),
       ('user_pgtap60c', 'pgtap60c@test.invalid', 'pgtap60c', 'x');

-- An older event, so that a page ending at 'anon' has more behind it
-- even on an empty database.
select activity_event_create('user_pgtap60a', 'workout_completed', '{}', 'public_anon');

create temp table t60 on commit drop as
select 'anon'::text as k, activity_event_create('user_pgtap60a', 'workout_completed',
	'{"userId":"user_pgtap60a","username":"pgtap60a","totalTu":1}', 'public_anon')::jsonb as e
union all
select 'profile', activity_event_create('user_pgtap60a', 'level_up', '{}', 'public_profile')::jsonb
union all
select 'b', activity_event_create('user_pgtap60b', 'workout_completed', '{}', 'public_anon')::jsonb
union all
select 'private', activity_event_create('user_pgtap60a', 'milestone_achieved', '{}', 'private')::jsonb;

create temp view t60ids as select k, e->>'id' as id from t60;

create or replace function pg_temp.ids(p_user text, p_before text, p_limit int)
returns text[] language sql as $$
	select array(select x->>'id'
		       from json_array_elements(community_feed(p_user, p_before, p_limit)->'events') x)
$$;

select is((select e->>'userId' from t60 where k = 'anon'), 'user_pgtap60a',
	'activity_event_create returns the event with identity');
select ok((select id from t60ids where k = 'anon') = any(pg_temp.ids(null, null, 100)),
	'anonymous readers see public_anon');
select ok(not ((select id from t60ids where k = 'profile') = any(pg_temp.ids(null, null, 100))),
	'anonymous readers do not see public_profile');
select ok(not ((select id from t60ids where k = 'private') = any(pg_temp.ids(null, null, 100))),
	'anonymous readers do not see private');
select is((select x from json_array_elements(community_feed(null, null, 100)->'events') x
	    where x->>'id' = (select id from t60ids where k = 'anon'))::jsonb,
	jsonb_build_object('id', (select id from t60ids where k = 'anon'),
	    'eventType', 'workout_completed', 'userId', null, 'username', null,
	    'displayName', null, 'payload', '{"totalTu":1}'::jsonb,
	    'visibilityScope', 'public_anon',
	    'createdAt', (select e->>'createdAt' from t60 where k = 'anon')),
	'anonymous events carry no identity, in the columns or the payload');
select ok((select id from t60ids where k = 'profile') = any(pg_temp.ids('user_pgtap60b', null, 100)),
	'signed-in readers see public_profile');
select ok(not ((select id from t60ids where k = 'private') = any(pg_temp.ids('user_pgtap60b', null, 100))),
	'others do not see a private event');
select ok((select id from t60ids where k = 'private') = any(pg_temp.ids('user_pgtap60a', null, 100)),
	'the owner sees its private event');

insert into user_blocks (blocker_id, blocked_id) values ('user_pgtap60b', 'user_pgtap60a');
select ok(not ((select id from t60ids where k = 'anon') = any(pg_temp.ids('user_pgtap60b', null, 100))),
	'a blocker does not see the blocked user');
select ok(not ((select id from t60ids where k = 'b') = any(pg_temp.ids('user_pgtap60a', null, 100))),
	'the blocked user does not see the blocker');
select ok('user_pgtap60b' in (select user_id from realtime_filtered_recipients('user_pgtap60c')),
	'a user with a block gets filtered copies of others'' events');
select ok('user_pgtap60b' not in (select user_id from realtime_filtered_recipients('user_pgtap60a')),
	'but never those of a user it blocks');

-- Cursors: strictly older, nextCursor only when more exist.
select is(pg_temp.ids('user_pgtap60a', (select id from t60ids where k = 'private'), 1),
	array[(select id from t60ids where k = 'profile')],
	'before returns the items strictly older');
select is(community_feed('user_pgtap60a', (select id from t60ids where k = 'profile'), 1)->>'nextCursor',
	(select id from t60ids where k = 'anon'),
	'nextCursor is the last id of the page when older items exist');
select throws_ok($$select community_feed(null, (select id from t60ids where k = 'private'), 20)$$,
	'MM400', null, 'a cursor that is not in the caller''s list is rejected');
select throws_ok($$select community_feed(null, 'evt_nope', 20)$$, 'MM400', null,
	'an unknown cursor is rejected');

select * from finish();
rollback;
