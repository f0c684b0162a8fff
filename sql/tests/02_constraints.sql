-- Constraints: CHECKs, enumerations, uniqueness (including case-insensitive
-- email and username), foreign keys and their ON DELETE actions. Creates
-- its own users, catalog rows and so on; needs no seed data.

begin;
select plan(55);

insert into users (id, email, username, password_hash)
values ('user_pgtap02a', 'pgtap02a@test.invalid', 'pgtap02a', 'x'),
       ('user_pgtap02b', 'pgtap02b@test.invalid', 'pgtap02b', 'x');
insert into muscles (id, name, muscle_group, bias_weight)
values ('pgtap02-muscle', 'Test Muscle', 'Test', 10);
insert into exercises (id, name, type)
values ('pgtap02-exercise', 'Test Exercise', 'bodyweight');
insert into archetypes (id, name) values ('pgtap02-arch', 'Test Archetype');

-- users
select throws_ok(
	$$insert into users (email, username, password_hash)
	  values ('PGTAP02A@test.invalid', 'pgtap02c', 'x')$$,
	'23505', null, 'email is unique case-insensitively');
select throws_ok(
	$$insert into users (email, username, password_hash)
	  values ('pgtap02c@test.invalid', 'PgTap02A', 'x')$$,
	'23505', null, 'username is unique case-insensitively');
select throws_ok(
	$$insert into users (email, username) values ('pgtap02d@test.invalid', 'pgtap02d')$$,
	'23502', null, 'password_hash is required');
select throws_ok(
	$$insert into users (email, username, password_hash, current_archetype_id)
	  values ('pgtap02e@test.invalid', 'pgtap02e', 'x', 'no-such-archetype')$$,
	'23503', null, 'current_archetype_id must be an archetype');

-- economy
select throws_ok(
	$$insert into credit_balances (user_id, balance) values ('user_pgtap02a', -1)$$,
	'23514', null, 'balance cannot be negative');
select throws_ok(
	$$insert into credit_balances (user_id, balance, lifetime_spent)
	  values ('user_pgtap02a', 0, -5)$$,
	'23514', null, 'lifetime_spent cannot be negative');
select throws_ok(
	$$insert into credit_ledger (user_id, action, amount, balance_after)
	  values ('user_pgtap02a', 'test', -10, -10)$$,
	'23514', null, 'balance_after cannot be negative');
insert into credit_ledger (user_id, action, amount, balance_after, idempotency_key)
values ('user_pgtap02a', 'test', 10, 10, 'pgtap02:dup');
select throws_ok(
	$$insert into credit_ledger (user_id, action, amount, balance_after, idempotency_key)
	  values ('user_pgtap02b', 'test', 10, 10, 'pgtap02:dup')$$,
	'23505', null, 'ledger idempotency_key is unique across users');
select lives_ok(
	$$insert into credit_ledger (user_id, action, amount, balance_after)
	  values ('user_pgtap02a', 'test', 1, 11),
	         ('user_pgtap02a', 'test', 1, 12)$$,
	'several ledger rows may have no idempotency key');
select throws_ok(
	$$insert into credit_ledger (user_id, action, amount, balance_after)
	  values ('user_pgtap02a', null, 1, 1)$$,
	'23502', null, 'ledger action is required');
select throws_ok(
	$$insert into credit_actions (id, name, default_cost) values ('pgtap02', 'T', -1)$$,
	'23514', null, 'default_cost cannot be negative');
select throws_ok(
	$$insert into purchases (user_id, tier_id, credits, amount_cents, status)
	  values ('user_pgtap02a', 'starter', 0, 499, 'pending')$$,
	'23514', null, 'purchase credits must be positive');
select throws_ok(
	$$insert into purchases (user_id, tier_id, credits, amount_cents, status)
	  values ('user_pgtap02a', 'starter', 100, 499, 'paid')$$,
	'23514', null, 'purchase status is an enumeration');
select throws_ok(
	$$insert into subscriptions (user_id, status) values ('user_pgtap02a', 'trialing')$$,
	'23514', null, 'subscription status is an enumeration');
insert into subscriptions (user_id, status, stripe_subscription_id)
values ('user_pgtap02a', 'active', 'sub_pgtap02_stripe');
select throws_ok(
	$$insert into subscriptions (user_id, status, stripe_subscription_id)
	  values ('user_pgtap02b', 'active', 'sub_pgtap02_stripe')$$,
	'23505', null, 'stripe_subscription_id is unique');
insert into webhook_events (id, type) values ('evt_pgtap02', 'checkout.session.completed');
select throws_ok(
	$$insert into webhook_events (id, type) values ('evt_pgtap02', 'checkout.session.completed')$$,
	'23505', null, 'a webhook event is recorded once');

-- catalog
select throws_ok(
	$$insert into muscles (id, name, muscle_group, bias_weight)
	  values ('pgtap02-m0', 'M', 'Test', 0)$$,
	'23514', null, 'bias_weight must be positive');
select throws_ok(
	$$insert into exercises (id, name, type, difficulty) values ('pgtap02-e6', 'E', 't', 6)$$,
	'23514', null, 'difficulty is at most 5');
select throws_ok(
	$$insert into exercises (id, name, type, difficulty) values ('pgtap02-e0', 'E', 't', 0)$$,
	'23514', null, 'difficulty is at least 1');
select throws_ok(
	$$insert into exercises (id, name, type, estimated_seconds) values ('pgtap02-es', 'E', 't', 0)$$,
	'23514', null, 'estimated_seconds must be positive');
select throws_ok(
	$$insert into exercises (id, name, type, rest_seconds) values ('pgtap02-rs', 'E', 't', -1)$$,
	'23514', null, 'rest_seconds cannot be negative');
select throws_ok(
	$$insert into exercise_activations (exercise_id, muscle_id, activation)
	  values ('pgtap02-exercise', 'pgtap02-muscle', 101)$$,
	'23514', null, 'activation is at most 100');
select throws_ok(
	$$insert into exercise_activations (exercise_id, muscle_id, activation)
	  values ('pgtap02-exercise', 'pgtap02-muscle', -1)$$,
	'23514', null, 'activation is at least 0');
select throws_ok(
	$$insert into exercise_activations (exercise_id, muscle_id, activation)
	  values ('pgtap02-exercise', 'no-such-muscle', 50)$$,
	'23503', null, 'activation muscle must exist');
insert into archetype_levels (archetype_id, level, name, total_tu)
values ('pgtap02-arch', 1, 'One', 0);
select throws_ok(
	$$insert into archetype_levels (archetype_id, level, name, total_tu)
	  values ('pgtap02-arch', 1, 'Again', 10)$$,
	'23505', null, 'archetype_levels is unique on (archetype_id, level)');
select throws_ok(
	$$insert into archetype_levels (archetype_id, level, name, total_tu)
	  values ('pgtap02-arch', 0, 'Zero', 0)$$,
	'23514', null, 'level must be positive');
select throws_ok(
	$$update catalog_meta set id = 2$$,
	'23514', null, 'catalog_meta holds the single row id = 1');

-- workouts and prescriptions
select throws_ok(
	$$insert into workouts (user_id, date, total_tu) values ('user_pgtap02a', current_date, -1)$$,
	'23514', null, 'total_tu cannot be negative');
select throws_ok(
	$$insert into workouts (user_id, date, total_tu) values ('no-such-user', current_date, 1)$$,
	'23503', null, 'workout owner must exist');
insert into workouts (user_id, date, total_tu, idempotency_key)
values ('user_pgtap02a', current_date, 1, 'k1');
select throws_ok(
	$$insert into workouts (user_id, date, total_tu, idempotency_key)
	  values ('user_pgtap02a', current_date, 1, 'k1')$$,
	'23505', null, 'workout idempotency key is unique per user');
select lives_ok(
	$$insert into workouts (user_id, date, total_tu, idempotency_key)
	  values ('user_pgtap02b', current_date, 1, 'k1')$$,
	'the same workout idempotency key is fine for another user');
select throws_ok(
	$$insert into prescriptions (user_id, constraints, exercises, muscle_coverage,
	      estimated_duration, actual_duration)
	  values ('user_pgtap02a', '{}', '[]', '{}', 0, 60)$$,
	'23514', null, 'estimated_duration must be positive');
select throws_ok(
	$$insert into prescriptions (user_id, constraints, exercises, muscle_coverage,
	      estimated_duration)
	  values ('user_pgtap02a', '{}', '[]', '{}', 60)$$,
	'23502', null, 'actual_duration is required');

-- community
select throws_ok(
	$$insert into competitions (name, creator_id, type, status, start_date, end_date)
	  values ('C', 'user_pgtap02a', 'total_tu', 'draft',
	          '2030-01-02T00:00:00Z', '2030-01-01T00:00:00Z')$$,
	'23514', null, 'end_date must be after start_date');
select throws_ok(
	$$insert into competitions (name, creator_id, type, status, start_date, end_date)
	  values ('C', 'user_pgtap02a', 'total_tu', 'draft',
	          '2030-01-01T00:00:00Z', '2030-01-01T00:00:00Z')$$,
	'23514', null, 'end_date equal to start_date is rejected');
select throws_ok(
	$$insert into competitions (name, creator_id, type, status, start_date, end_date)
	  values ('C', 'user_pgtap02a', 'fastest', 'draft',
	          '2030-01-01T00:00:00Z', '2030-01-02T00:00:00Z')$$,
	'23514', null, 'competition type is an enumeration');
select throws_ok(
	$$insert into competitions (name, creator_id, type, status, start_date, end_date)
	  values ('C', 'user_pgtap02a', 'total_tu', 'open',
	          '2030-01-01T00:00:00Z', '2030-01-02T00:00:00Z')$$,
	'23514', null, 'competition status is an enumeration');
select throws_ok(
	$$insert into competitions (name, creator_id, type, status, start_date, end_date, entry_fee)
	  values ('C', 'user_pgtap02a', 'total_tu', 'draft',
	          '2030-01-01T00:00:00Z', '2030-01-02T00:00:00Z', -1)$$,
	'23514', null, 'entry_fee cannot be negative');
select throws_ok(
	$$insert into activity_events (user_id, event_type, visibility_scope)
	  values ('user_pgtap02a', 'workout_completed', 'friends')$$,
	'23514', null, 'visibility_scope is an enumeration');
insert into groups (id, name, owner_id) values ('grp_pgtap02', 'G', 'user_pgtap02a');
insert into group_memberships (group_id, user_id, role)
values ('grp_pgtap02', 'user_pgtap02a', 'owner');
select throws_ok(
	$$insert into group_memberships (group_id, user_id, role)
	  values ('grp_pgtap02', 'user_pgtap02b', 'superuser')$$,
	'23514', null, 'group role is an enumeration');
select throws_ok(
	$$insert into group_memberships (group_id, user_id, role)
	  values ('grp_pgtap02', 'user_pgtap02b', 'owner')$$,
	'23505', null, 'a group has at most one owner');
select lives_ok(
	$$insert into group_memberships (group_id, user_id, role)
	  values ('grp_pgtap02', 'user_pgtap02b', 'member')
	  on conflict do nothing$$,
	'ON CONFLICT DO NOTHING works on group_memberships');
select throws_ok(
	$$insert into groups (name, owner_id, settings)
	  values ('G', 'user_pgtap02a', '{"visibility":"secret"}')$$,
	'23514', null, 'group visibility is public or private');
select throws_ok(
	$$insert into user_blocks (blocker_id, blocked_id)
	  values ('user_pgtap02a', 'user_pgtap02a')$$,
	'23514', null, 'a user cannot block themselves');
select throws_ok(
	$$insert into high_fives (sender_id, recipient_id)
	  values ('user_pgtap02a', 'user_pgtap02a')$$,
	'23514', null, 'a user cannot high-five themselves');

-- messaging
select throws_ok(
	$$insert into conversations (type, created_by) values ('channel', 'user_pgtap02a')$$,
	'23514', null, 'conversation type is an enumeration');
insert into conversations (id, type, created_by) values ('conv_pgtap02', 'direct', 'user_pgtap02a');
select throws_ok(
	$$insert into conversation_participants (conversation_id, user_id, role)
	  values ('conv_pgtap02', 'user_pgtap02a', 'admin')$$,
	'23514', null, 'participant role is member or owner');
select throws_ok(
	$$insert into messages (conversation_id, sender_id, content, content_type)
	  values ('conv_pgtap02', 'user_pgtap02a', 'hi', 'video')$$,
	'23514', null, 'content_type is an enumeration');
insert into messages (id, conversation_id, sender_id, content, content_type)
values ('msg_pgtap02', 'conv_pgtap02', 'user_pgtap02a', 'hi', 'text');
select throws_ok(
	$$insert into message_attachments (message_id, file_name, file_type, file_size,
	      storage_path, moderation_status)
	  values ('msg_pgtap02', 'a.png', 'image/png', 10, '/x', 'maybe')$$,
	'23514', null, 'moderation_status is an enumeration');
select throws_ok(
	$$insert into message_attachments (message_id, file_name, file_type, file_size,
	      storage_path)
	  values ('msg_pgtap02', 'a.png', 'image/png', 0, '/x')$$,
	'23514', null, 'file_size must be positive');

-- tips and milestones
select throws_ok(
	$$insert into milestones (id, name, category, condition_type, condition_value,
	      reward_credits)
	  values ('ms_pgtap02', 'M', 'workouts', 'workouts_completed', '{"threshold":1}', -1)$$,
	'23514', null, 'reward_credits cannot be negative');
select throws_ok(
	$$insert into milestones (id, name, category, condition_type, condition_value,
	      reward_tip_id)
	  values ('ms_pgtap02', 'M', 'workouts', 'workouts_completed', '{"threshold":1}',
	          'no-such-tip')$$,
	'23503', null, 'reward_tip_id must be a tip');

-- ON DELETE actions
insert into activity_events (id, user_id, event_type, visibility_scope)
values ('evt_pgtap02', 'user_pgtap02b', 'high_five', 'public_profile');
insert into credit_balances (user_id) values ('user_pgtap02b');
delete from users where id = 'user_pgtap02b';
select is(
	(select user_id from activity_events where id = 'evt_pgtap02'),
	null,
	'deleting a user keeps their events with user_id NULL');
select is(
	(select count(*)::int from workouts where user_id = 'user_pgtap02b'),
	0,
	'deleting a user deletes their workouts');
select is(
	(select count(*)::int from credit_balances where user_id = 'user_pgtap02b'),
	0,
	'deleting a user deletes their balance');

select * from finish();
rollback;
