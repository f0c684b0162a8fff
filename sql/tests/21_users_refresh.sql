-- Refresh-token rotation and theft detection (API §2.3) in users_refresh(),
-- and logout in users_logout().  Token hashes are plain labels here (the
-- binary passes SHA-256 hex).  Creates its own users and tokens.
-- (Concurrent use of one token cannot be exercised from a single pgTAP
-- session; the end-to-end tests race it through the binary.)

begin;
select plan(31);

insert into users (id, email, username, password_hash, flags)
values ('user_pgtap21a', 'pgtap21a@test.invalid', 'pgtap21a', 'x', default),
       ('user_pgtap21b', 'pgtap21b@test.invalid', 'pgtap21b', 'x', default),
       ('user_pgtap21c', 'pgtap21c@test.invalid', 'pgtap21c', 'x',
        '{"banned":true}'),
       ('user_pgtap21d', 'pgtap21d@test.invalid', 'pgtap21d', 'x',
        '{"suspended":true}');

insert into refresh_tokens (user_id, token_hash, expires_at, revoked_at)
values ('user_pgtap21a', 't21_a1', now() + interval '1 day', null),
       ('user_pgtap21a', 't21_a_other', now() + interval '1 day', null),
       ('user_pgtap21a', 't21_a_expired', now() - interval '1 second', null),
       ('user_pgtap21b', 't21_b1', now() + interval '1 day', null),
       ('user_pgtap21c', 't21_c1', now() + interval '1 day', null),
       ('user_pgtap21d', 't21_d1', now() + interval '1 day', null);

create temp table r (label text primary key, status text, user_id text) on commit drop;

-- Rotation.
insert into r select 'rotate', * from users_refresh('t21_a1', 't21_a2', 3600);
select is((select (status, user_id)::text from r where label = 'rotate'),
	'(ok,user_pgtap21a)', 'an active token rotates: ok with its user');
select isnt((select revoked_at from refresh_tokens where token_hash = 't21_a1'), null,
	'the presented token is revoked');
select is(
	(select (user_id, revoked_at is null, expires_at - now() = interval '1 hour')::text
	   from refresh_tokens where token_hash = 't21_a2'),
	'(user_pgtap21a,t,t)', 'the new token is stored for the same user, valid ttl seconds');
select matches((select id from refresh_tokens where token_hash = 't21_a2'),
	'^rt_[0-9a-f]{32}$', 'the new token has an rt_ id');
select is((select revoked_at from refresh_tokens where token_hash = 't21_a_other'), null,
	'rotation leaves the user''s other tokens alone');

-- The new token rotates in turn.
insert into r select 'rotate2', * from users_refresh('t21_a2', 't21_a3', 3600);
select is((select status from r where label = 'rotate2'), 'ok', 'the new token works once');

-- Unknown and expired tokens.
insert into r select 'unknown', * from users_refresh('t21_nope', 't21_x1', 3600);
select is((select (status, user_id)::text from r where label = 'unknown'),
	'(invalid,)', 'an unknown token is invalid');
select is((select count(*)::int from refresh_tokens where token_hash = 't21_x1'), 0,
	'no token is issued for an unknown one');
insert into r select 'expired', * from users_refresh('t21_a_expired', 't21_x2', 3600);
select is((select status from r where label = 'expired'), 'invalid',
	'an expired token is invalid');
select is((select count(*)::int from refresh_tokens where token_hash = 't21_x2'), 0,
	'no token is issued for an expired one');
select is((select count(*)::int from refresh_tokens
	    where user_id = 'user_pgtap21a' and revoked_at is null and expires_at > now()),
	2, 'an expired token revokes nothing (t21_a3 and t21_a_other stay active)');

-- Theft detection: the rotated t21_a1 comes back.
insert into r select 'reuse', * from users_refresh('t21_a1', 't21_x3', 3600);
select is((select (status, user_id)::text from r where label = 'reuse'),
	'(reused,user_pgtap21a)', 'a rotated token is reported as reused');
select is((select count(*)::int from refresh_tokens
	    where user_id = 'user_pgtap21a' and revoked_at is null), 0,
	'reuse revokes every token of the user');
select is((select count(*)::int from refresh_tokens where token_hash = 't21_x3'), 0,
	'no token is issued on reuse');
select is((select revoked_at from refresh_tokens where token_hash = 't21_b1'), null,
	'other users'' tokens are untouched');
insert into r select 'after-reuse', * from users_refresh('t21_a3', 't21_x4', 3600);
select is((select status from r where label = 'after-reuse'), 'reused',
	'the latest token of the family no longer works');

-- Banned and suspended users: 403, and the rotation is undone.
select throws_ok($$select * from users_refresh('t21_c1', 't21_c2', 3600)$$,
	'MM403', 'This account is banned', 'a banned user''s token: 403');
select is((select revoked_at from refresh_tokens where token_hash = 't21_c1'), null,
	'the banned user''s token is not consumed');
select is((select count(*)::int from refresh_tokens where token_hash = 't21_c2'), 0,
	'no token is issued to a banned user');
select throws_ok($$select * from users_refresh('t21_d1', 't21_d2', 3600)$$,
	'MM403', 'This account is suspended', 'a suspended user''s token: 403');
select is((select revoked_at from refresh_tokens where token_hash = 't21_d1'), null,
	'the suspended user''s token is not consumed');

-- The stored form is never returned.
select is((select count(*)::int from r where status not in ('ok', 'invalid', 'reused')), 0,
	'results only name a status and a user');

-- Logout.
insert into refresh_tokens (user_id, token_hash, expires_at)
values ('user_pgtap21b', 't21_b2', now() + interval '1 day');
select is(users_logout('t21_b1'), 1, 'logout revokes an active token');
select isnt((select revoked_at from refresh_tokens where token_hash = 't21_b1'), null,
	'the token is revoked');
select is((select revoked_at from refresh_tokens where token_hash = 't21_b2'), null,
	'logout revokes only that token');
select is(users_logout('t21_b1'), 0, 'logout of a revoked token changes nothing');
select is(users_logout('t21_unknown'), 0, 'logout of an unknown token changes nothing');
select is((select revoked_at from refresh_tokens where token_hash = 't21_b2'), null,
	'repeated logouts leave the other token active');
-- A logged-out token presented to refresh is a reuse.
insert into r select 'logged-out', * from users_refresh('t21_b1', 't21_b3', 3600);
select is((select status from r where label = 'logged-out'), 'reused',
	'refresh with a logged-out token is a reuse');
select is((select count(*)::int from refresh_tokens
	    where user_id = 'user_pgtap21b' and revoked_at is null), 0,
	'and revokes the user''s remaining tokens');
select is((select count(*)::int from refresh_tokens where user_id = 'user_pgtap21b'), 2,
	'no token was added');

select * from finish();
rollback;
