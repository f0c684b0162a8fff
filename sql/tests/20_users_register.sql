-- Registration (API §2.1) in users_register(): every row it creates, the
-- +100 signup bonus as exactly one ledger row, duplicates of email and
-- username (case-insensitive) answered with MM409, and a registration that
-- fails halfway leaving nothing behind.  Also the login lookup, the User,
-- me and profile objects, and profile updates.  Creates its own rows.

begin;
select plan(47);

create temp table reg on commit drop as
select * from users_register('PgTap20.Alice@Test.Invalid', 'PgTap20_Alice',
	'Alice A.', 'pbkdf2_sha256$1000$c2FsdHNhbHRzYWx0c2FsdA==$x',
	repeat('a', 64), 2592000);

select is((select count(*)::int from reg), 1, 'register returns one row');
select matches((select user_id from reg), '^user_[0-9a-f]{32}$',
	'the new id is user_ + 32 hex');

-- The users row.
select is((select email from users where id = (select user_id from reg)),
	'pgtap20.alice@test.invalid', 'email stored lower-cased');
select is((select username from users where id = (select user_id from reg)),
	'PgTap20_Alice', 'username stored as sent');
select is((select display_name from users where id = (select user_id from reg)),
	'Alice A.', 'display name stored');
select is((select password_hash from users where id = (select user_id from reg)),
	'pbkdf2_sha256$1000$c2FsdHNhbHRzYWx0c2FsdA==$x', 'the given hash is stored as is');
select is((select roles from users where id = (select user_id from reg)),
	'["user"]'::jsonb, 'roles ["user"]');
select is((select current_level from users where id = (select user_id from reg)),
	1, 'level 1');
select is((select trial_started_at from users where id = (select user_id from reg)),
	now(), 'the trial starts now');
select is((select trial_ends_at - created_at from users where id = (select user_id from reg)),
	interval '90 days', 'the trial ends 90 days after creation');

-- The User object.
select is((select array_agg(k order by k) from reg, json_object_keys(user_json) k),
	array['avatarUrl', 'createdAt', 'currentArchetypeId', 'currentLevel',
	      'displayName', 'email', 'id', 'roles', 'trialEndsAt', 'username'],
	'the User object has exactly the contract''s keys');
select is((select user_json->>'id' from reg), (select user_id from reg), 'User.id');
select is((select user_json->>'email' from reg), 'pgtap20.alice@test.invalid', 'User.email');
select is((select (user_json->'roles')::jsonb from reg), '["user"]'::jsonb, 'User.roles');
select is((select json_typeof(user_json->'currentArchetypeId') from reg), 'null',
	'User.currentArchetypeId is null');
select is((select user_json->>'trialEndsAt' from reg),
	(select iso_ts(trial_ends_at) from users where id = (select user_id from reg)),
	'User.trialEndsAt in ISO form');
select unalike((select user_json::text from reg), '%pbkdf2%', 'no hash in the User object');

-- Balance and ledger: exactly one +100 signup_bonus row.
select is(
	(select (balance, lifetime_earned, lifetime_spent, version)::text
	   from credit_balances where user_id = (select user_id from reg)),
	'(100,100,0,1)', 'balance 100, earned 100, version 1');
select is((select count(*)::int from credit_ledger where user_id = (select user_id from reg)),
	1, 'exactly one ledger row');
select is(
	(select (action, amount, balance_after)::text
	   from credit_ledger where user_id = (select user_id from reg)),
	'(signup_bonus,100,100)', 'the ledger row is signup_bonus +100, balance_after 100');
select is(
	(select idempotency_key from credit_ledger where user_id = (select user_id from reg)),
	(select user_id || ':signup_bonus' from reg), 'idempotency key <userId>:signup_bonus');

-- The refresh token row.
select is((select count(*)::int from refresh_tokens where user_id = (select user_id from reg)),
	1, 'one refresh token');
select matches((select id from refresh_tokens where user_id = (select user_id from reg)),
	'^rt_[0-9a-f]{32}$', 'refresh token id is rt_ + 32 hex');
select is(
	(select (token_hash = repeat('a', 64) and expires_at - now() = interval '30 days'
	         and revoked_at is null)
	   from refresh_tokens where user_id = (select user_id from reg)),
	true, 'the token hash is stored, valid for the given seconds, not revoked');

-- Duplicates leave nothing behind.
create temp table before_dup on commit drop as
select (select count(*) from users) u, (select count(*) from credit_balances) b,
       (select count(*) from credit_ledger) l, (select count(*) from refresh_tokens) t;

select throws_ok(
	$$select * from users_register('pgtap20.alice@test.invalid', 'pgtap20_other',
		null, 'h', repeat('b', 64), 3600)$$,
	'MM409', 'An account with this email already exists', 'duplicate email: 409');
select throws_ok(
	$$select * from users_register('PGTAP20.ALICE@TEST.INVALID', 'pgtap20_other',
		null, 'h', repeat('b', 64), 3600)$$,
	'MM409', 'An account with this email already exists',
	'duplicate email in another case: 409');
select throws_ok(
	$$select * from users_register('pgtap20.other@test.invalid', 'PgTap20_Alice',
		null, 'h', repeat('b', 64), 3600)$$,
	'MM409', 'This username is already taken', 'duplicate username: 409');
select throws_ok(
	$$select * from users_register('pgtap20.other@test.invalid', 'PGTAP20_alice',
		null, 'h', repeat('b', 64), 3600)$$,
	'MM409', 'This username is already taken',
	'duplicate username in another case: 409');
-- A failure after the users row was written (the refresh token hash is
-- taken) undoes the user, the balance and the ledger row too.
select throws_ok(
	$$select * from users_register('pgtap20.bob@test.invalid', 'pgtap20_bob',
		null, 'h', repeat('a', 64), 3600)$$,
	'23505', null, 'a failure after the user insert raises');
select is((select count(*)::int from users where username = 'pgtap20_bob'), 0,
	'the half-done registration left no user');
select is(
	(select ((select count(*) from users), (select count(*) from credit_balances),
	         (select count(*) from credit_ledger),
	         (select count(*) from refresh_tokens))::text),
	(select (u, b, l, t)::text from before_dup),
	'failed registrations left no row in users, balances, ledger or tokens');

-- Registration without a display name.
create temp table reg2 on commit drop as
select * from users_register('pgtap20.carol@test.invalid', 'pgtap20_carol', null,
	'h', repeat('c', 64), 60);
select is((select json_typeof(user_json->'displayName') from reg2), 'null',
	'displayName null when not given');

-- Login lookup.
select is(
	(select (user_id, password_hash, banned, suspended)::text
	   from users_login_lookup('PGTAP20.alice@TEST.invalid')),
	(select (user_id, 'pbkdf2_sha256$1000$c2FsdHNhbHRzYWx0c2FsdA==$x', false, false)::text from reg),
	'login lookup is case-insensitive on email');
select is((select count(*)::int from users_login_lookup('nobody@test.invalid')), 0,
	'login lookup of an unknown email: no row');
update users set flags = flags || '{"suspended":true}' where username = 'pgtap20_carol';
select is(
	(select (banned, suspended)::text from users_login_lookup('pgtap20.carol@test.invalid')),
	'(f,t)', 'login lookup reports the suspended flag');

-- Login issue: a new refresh token, and a rehash only of the checked hash.
select is((users_login_issue((select user_id from reg), repeat('d', 64), 3600,
	'pbkdf2_sha256$1000$c2FsdHNhbHRzYWx0c2FsdA==$x', 'pbkdf2_sha256$2000$new'))->>'id',
	(select user_id from reg), 'login issue returns the User object');
select is((select password_hash from users where id = (select user_id from reg)),
	'pbkdf2_sha256$2000$new', 'login issue stores the stronger hash');
select is((users_login_issue((select user_id from reg), repeat('e', 64), 3600,
	'stale', 'pbkdf2_sha256$3000$x'))->>'id', (select user_id from reg),
	'login issue with a stale old hash still issues');
select is((select password_hash from users where id = (select user_id from reg)),
	'pbkdf2_sha256$2000$new', 'a stale old hash does not overwrite');
select is((select count(*)::int from refresh_tokens where user_id = (select user_id from reg)
	     and revoked_at is null), 3, 'each login adds an active refresh token');
select throws_ok($$select users_login_issue('user_gone', 'f', 60, null, null)$$,
	'MM401', 'Invalid email or password', 'login issue for a deleted user: 401');

-- me, profile, profile update.
select is((users_me((select user_id from reg))->>'creditBalance')::int, 100,
	'me carries the credit balance');
select is(
	(select users_profile((select user_id from reg))::jsonb->'flags'),
	'{"verified":false,"banned":false,"suspended":false,"emailConfirmed":false}'::jsonb,
	'profile flags');
select is(
	(select users_profile_update((select user_id from reg), true, 'New Name', false, null)::jsonb
	    - 'trialStartedAt' - 'trialEndsAt' - 'createdAt' - 'id' - 'flags' - 'roles'),
	'{"email":"pgtap20.alice@test.invalid","username":"PgTap20_Alice",
	  "displayName":"New Name","avatarUrl":null,"currentArchetypeId":null,
	  "currentLevel":1}'::jsonb,
	'profile update sets displayName and keeps avatarUrl');
select is(
	(select users_profile_update((select user_id from reg), false, null, true,
	    'https://img.test/a.png')::jsonb->>'displayName'),
	'New Name', 'a field not sent keeps its value');
select is(
	(select (display_name, avatar_url)::text from users where id = (select user_id from reg)),
	'("New Name",https://img.test/a.png)', 'avatarUrl stored');
select is(
	(select users_profile_update((select user_id from reg), true, null, true, null)::jsonb
	    ->>'avatarUrl'), null, 'sent nulls clear the fields');

select * from finish();
rollback;
