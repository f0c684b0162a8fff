-- Defaults and helpers: generated id formats (API §1.7), column defaults,
-- iso_ts(), the updated_at trigger and the catalog_meta version bump.
-- Creates its own rows; needs no seed data.

begin;
select plan(43);

-- Helpers.
select matches(mm_id('user'), '^user_[0-9a-f]{32}$', 'mm_id gives prefix_ + 32 lowercase hex');
select isnt(mm_id('x'), mm_id('x'), 'mm_id is different on every call');
select is(iso_ts('2026-01-04 18:30:00.123456+00'::timestamptz), '2026-01-04T18:30:00.123Z',
	'iso_ts formats UTC with milliseconds and Z');
select is(iso_ts('2026-01-04 20:30:00+02'::timestamptz), '2026-01-04T18:30:00.000Z',
	'iso_ts converts to UTC');
set local timezone = 'America/New_York';
select is(iso_ts('2026-01-04 18:30:00+00'::timestamptz), '2026-01-04T18:30:00.000Z',
	'iso_ts does not depend on the session time zone');
reset timezone;
select is(iso_ts(null), null, 'iso_ts(NULL) is NULL');

-- users defaults.
insert into users (email, username, password_hash)
values ('pgtap03a@test.invalid', 'pgtap03a', 'x');
select matches((select id from users where username = 'pgtap03a'),
	'^user_[0-9a-f]{32}$', 'users.id is user_ + 32 hex');
select is((select roles from users where username = 'pgtap03a'),
	'["user"]'::jsonb, 'roles default to ["user"]');
select is((select flags from users where username = 'pgtap03a'),
	'{"verified":false,"banned":false,"suspended":false,"emailConfirmed":false}'::jsonb,
	'flags default to all false');
select is((select current_level from users where username = 'pgtap03a'), 1,
	'current_level defaults to 1');
select isnt((select created_at from users where username = 'pgtap03a'), null,
	'created_at is set');

-- Generated ids of the other tables.
create temp table pgtap03_ids (prefix text, id text) on commit drop;
with s as (
	insert into workouts (user_id, date, total_tu)
	select id, current_date, 10 from users where username = 'pgtap03a'
	returning id)
insert into pgtap03_ids select 'workout', id from s;
with s as (
	insert into credit_ledger (user_id, action, amount, balance_after)
	select id, 'test', 5, 5 from users where username = 'pgtap03a'
	returning id)
insert into pgtap03_ids select 'txn', id from s;
with s as (
	insert into prescriptions (user_id, constraints, exercises, muscle_coverage,
	    estimated_duration, actual_duration)
	select id, '{}', '[]', '{}', 600, 600 from users where username = 'pgtap03a'
	returning id)
insert into pgtap03_ids select 'rx', id from s;
with s as (
	insert into activity_events (user_id, event_type, visibility_scope)
	select id, 'workout_completed', 'public_anon' from users where username = 'pgtap03a'
	returning id)
insert into pgtap03_ids select 'evt', id from s;
with s as (
	insert into conversations (type, created_by)
	select 'group', id from users where username = 'pgtap03a'
	returning id)
insert into pgtap03_ids select 'conv', id from s;
with s as (
	insert into messages (conversation_id, sender_id, content, content_type)
	select (select id from pgtap03_ids where prefix = 'conv'), id, 'hello', 'text'
	  from users where username = 'pgtap03a'
	returning id)
insert into pgtap03_ids select 'msg', id from s;
with s as (
	insert into message_attachments (message_id, file_name, file_type, file_size, storage_path)
	values ((select id from pgtap03_ids where prefix = 'msg'), 'a.png', 'image/png', 10, '/x')
	returning id)
insert into pgtap03_ids select 'att', id from s;
with s as (
	insert into groups (name, owner_id)
	select 'G', id from users where username = 'pgtap03a'
	returning id)
insert into pgtap03_ids select 'grp', id from s;
with s as (
	insert into competitions (name, creator_id, type, status, start_date, end_date)
	select 'C', id, 'workouts', 'draft', now(), now() + interval '1 day'
	  from users where username = 'pgtap03a'
	returning id)
insert into pgtap03_ids select 'comp', id from s;
with s as (
	insert into refresh_tokens (user_id, token_hash, expires_at)
	select id, 'pgtap03-hash', now() + interval '1 day' from users where username = 'pgtap03a'
	returning id)
insert into pgtap03_ids select 'rt', id from s;
with s as (
	insert into purchases (user_id, tier_id, credits, amount_cents, status)
	select id, 'starter', 100, 499, 'pending' from users where username = 'pgtap03a'
	returning id)
insert into pgtap03_ids select 'purch', id from s;
with s as (
	insert into subscriptions (user_id, status)
	select id, 'inactive' from users where username = 'pgtap03a'
	returning id)
insert into pgtap03_ids select 'sub', id from s;
insert into users (email, username, password_hash)
values ('pgtap03b@test.invalid', 'pgtap03b', 'x');
with s as (
	insert into high_fives (sender_id, recipient_id)
	select a.id, b.id from users a, users b
	 where a.username = 'pgtap03a' and b.username = 'pgtap03b'
	returning id)
insert into pgtap03_ids select 'hf', id from s;

select is((select count(*)::int from pgtap03_ids), 13, 'one generated id per prefix');
select is(
	(select count(*)::int from pgtap03_ids where id ~ ('^' || prefix || '_[0-9a-f]{32}$')),
	13, 'every generated id is <prefix>_ + 32 lowercase hex');

-- Other defaults.
select is((select credits_used from workouts w join users u on u.id = w.user_id
            where u.username = 'pgtap03a'), 25, 'workouts.credits_used defaults to 25');
select is((select is_public from workouts w join users u on u.id = w.user_id
            where u.username = 'pgtap03a'), true, 'workouts.is_public defaults to true');
select is((select exercise_data from workouts w join users u on u.id = w.user_id
            where u.username = 'pgtap03a'), '[]'::jsonb, 'workouts.exercise_data defaults to []');
select is((select muscle_activations from workouts w join users u on u.id = w.user_id
            where u.username = 'pgtap03a'), '{}'::jsonb, 'workouts.muscle_activations defaults to {}');
select is((select credit_cost from prescriptions p join users u on u.id = p.user_id
            where u.username = 'pgtap03a'), 1, 'prescriptions.credit_cost defaults to 1');
select is((select payload from activity_events e join users u on u.id = e.user_id
            where u.username = 'pgtap03a'), '{}'::jsonb, 'activity_events.payload defaults to {}');
select is((select moderation_status from message_attachments
            where id = (select id from pgtap03_ids where prefix = 'att')),
	'pending', 'moderation_status defaults to pending');
select is((select settings from groups
            where id = (select id from pgtap03_ids where prefix = 'grp')),
	'{}'::jsonb, 'groups.settings defaults to {}');
select is((select cancel_at_period_end from subscriptions
            where id = (select id from pgtap03_ids where prefix = 'sub')),
	false, 'cancel_at_period_end defaults to false');

insert into exercises (id, name, type) values ('pgtap03-ex', 'Test Exercise', 'bodyweight');
select is((select difficulty from exercises where id = 'pgtap03-ex'), 2, 'difficulty defaults to 2');
select is((select primary_muscles from exercises where id = 'pgtap03-ex'), '{}'::text[],
	'primary_muscles defaults to an empty array');
select is((select equipment_required from exercises where id = 'pgtap03-ex'), '[]'::jsonb,
	'equipment_required defaults to []');
select is((select equipment_optional from exercises where id = 'pgtap03-ex'), '[]'::jsonb,
	'equipment_optional defaults to []');
select is((select locations from exercises where id = 'pgtap03-ex'), '["gym"]'::jsonb,
	'locations default to ["gym"]');
select is((select is_compound from exercises where id = 'pgtap03-ex'), false,
	'is_compound defaults to false');
select is((select estimated_seconds from exercises where id = 'pgtap03-ex'), 45,
	'estimated_seconds defaults to 45');
select is((select rest_seconds from exercises where id = 'pgtap03-ex'), 60,
	'rest_seconds defaults to 60');

insert into tips (id, trigger_type, category, title, content)
values ('tip_pgtap03', 'random', 'science', 'T', 'C');
select is((select priority from tips where id = 'tip_pgtap03'), 0, 'tips.priority defaults to 0');
select is((select min_level from tips where id = 'tip_pgtap03'), 1, 'tips.min_level defaults to 1');

insert into credit_balances (user_id) select id from users where username = 'pgtap03a';
select is(
	(select (balance, lifetime_earned, lifetime_spent, version)::text
	   from credit_balances b join users u on u.id = b.user_id
	  where u.username = 'pgtap03a'),
	'(0,0,0,0)', 'a new balance row is all zero');

-- updated_at trigger.
update users set updated_at = '2000-01-01T00:00:00Z' where username = 'pgtap03a';
select is((select updated_at from users where username = 'pgtap03a'), now(),
	'users.updated_at is set to now() on update');
update groups set updated_at = '2000-01-01T00:00:00Z', name = 'G2'
 where id = (select id from pgtap03_ids where prefix = 'grp');
select is((select updated_at from groups
            where id = (select id from pgtap03_ids where prefix = 'grp')),
	now(), 'groups.updated_at is set on update');
update subscriptions set updated_at = '2000-01-01T00:00:00Z', status = 'active'
 where id = (select id from pgtap03_ids where prefix = 'sub');
select is((select updated_at from subscriptions
            where id = (select id from pgtap03_ids where prefix = 'sub')),
	now(), 'subscriptions.updated_at is set on update');
update conversations set updated_at = '2000-01-01T00:00:00Z', name = 'N'
 where id = (select id from pgtap03_ids where prefix = 'conv');
select is((select updated_at from conversations
            where id = (select id from pgtap03_ids where prefix = 'conv')),
	now(), 'conversations.updated_at is set on update');
insert into installed_plugins (id, name, version, updated_at)
values ('pgtap03-plugin', 'P', '1.0', '2000-01-01T00:00:00Z');
update installed_plugins set version = '1.1' where id = 'pgtap03-plugin';
select is((select updated_at from installed_plugins where id = 'pgtap03-plugin'),
	now(), 'installed_plugins.updated_at is set on update');

-- catalog_meta.
select is((select count(*)::int from catalog_meta), 1, 'catalog_meta has one row');
create temp table pgtap03_v (v bigint) on commit drop;
insert into pgtap03_v select version from catalog_meta;
insert into muscles (id, name, muscle_group, bias_weight)
values ('pgtap03-m', 'M', 'Test', 10);
select is((select version from catalog_meta), (select v + 1 from pgtap03_v),
	'inserting a muscle bumps the catalog version');
update muscles set name = 'never' where id = 'no-such-muscle';
delete from exercises where id = 'no-such-exercise';
insert into exercise_activations (exercise_id, muscle_id, activation)
select 'x', 'y', 1 where false;
select is((select version from catalog_meta), (select v + 1 from pgtap03_v),
	'statements changing no rows do not bump the version');
insert into exercise_activations (exercise_id, muscle_id, activation)
values ('pgtap03-ex', 'pgtap03-m', 50);
select is((select version from catalog_meta), (select v + 2 from pgtap03_v),
	'inserting an activation bumps the version');
delete from exercises where id = 'pgtap03-ex';
select cmp_ok((select version from catalog_meta), '>=', (select v + 3 from pgtap03_v),
	'deleting an exercise (and its activations) bumps the version');

select * from finish();
rollback;
