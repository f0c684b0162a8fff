-- Accounts, sessions and profiles (API §2), for the auth binary.
--
-- Passwords are hashed in C (lib/password.c) and arrive here already in
-- their stored form; refresh tokens arrive as the lowercase hex SHA-256 of
-- the token, never as the token itself.  No function here returns a
-- password hash or a token hash.
--
-- This file is applied on every migrate run: CREATE OR REPLACE only (a
-- function whose signature or result type changes must be dropped first).

-- The User object of API §2 (register, login).
CREATE OR REPLACE FUNCTION users_object(u users)
RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
		'id', u.id,
		'email', u.email,
		'username', u.username,
		'displayName', u.display_name,
		'avatarUrl', u.avatar_url,
		'roles', u.roles,
		'currentArchetypeId', u.current_archetype_id,
		'currentLevel', u.current_level,
		'trialEndsAt', iso_ts(u.trial_ends_at),
		'createdAt', iso_ts(u.created_at))
$$;

-- The profile object of API §2.4.  NULL when the user does not exist.
CREATE OR REPLACE FUNCTION users_profile(p_user_id text)
RETURNS json
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	RETURN (SELECT q.v FROM (
		SELECT json_build_object(
			'id', u.id,
			'email', u.email,
			'username', u.username,
			'displayName', u.display_name,
			'avatarUrl', u.avatar_url,
			'roles', u.roles,
			'flags', json_build_object(
				'verified', COALESCE((u.flags->>'verified')::boolean, false),
				'banned', COALESCE((u.flags->>'banned')::boolean, false),
				'suspended', COALESCE((u.flags->>'suspended')::boolean, false),
				'emailConfirmed',
				    COALESCE((u.flags->>'emailConfirmed')::boolean, false)),
			'currentArchetypeId', u.current_archetype_id,
			'currentLevel', u.current_level,
			'trialStartedAt', iso_ts(u.trial_started_at),
			'trialEndsAt', iso_ts(u.trial_ends_at),
			'createdAt', iso_ts(u.created_at))
		  FROM users u
		 WHERE u.id = p_user_id
	) q(v) LIMIT 1);
END;
$$;

-- The GET /api/auth/me document (API §2.6): the user with the current
-- credit balance.  An SQL function without FROM, so the planner inlines it
-- into users_me() and auth_user_me() alike.
CREATE OR REPLACE FUNCTION users_me_object(u users, p_balance integer)
RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
		'id', u.id,
		'email', u.email,
		'username', u.username,
		'displayName', u.display_name,
		'avatarUrl', u.avatar_url,
		'roles', u.roles,
		'currentArchetypeId', u.current_archetype_id,
		'currentLevel', u.current_level,
		'creditBalance', p_balance,
		'createdAt', iso_ts(u.created_at))
$$;

-- GET /api/auth/me (API §2.6) for one user id.
CREATE OR REPLACE FUNCTION users_me(p_user_id text)
RETURNS json
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	RETURN (SELECT q.v FROM (
		SELECT users_me_object(u, COALESCE(b.balance, 0))
		  FROM users u
		  LEFT JOIN credit_balances b ON b.user_id = u.id
		 WHERE u.id = p_user_id
	) q(v) LIMIT 1);
END;
$$;

-- Stores a new refresh token (its hash) for a user, valid p_ttl seconds.
CREATE OR REPLACE FUNCTION users_refresh_token_add(p_user_id text,
    p_token_hash text, p_ttl integer)
RETURNS void
LANGUAGE sql VOLATILE AS $$
	INSERT INTO refresh_tokens (user_id, token_hash, expires_at)
	VALUES (p_user_id, p_token_hash,
	        now() + make_interval(secs => p_ttl))
$$;

-- Raises the 409 for a taken email or username.
CREATE OR REPLACE FUNCTION users_conflict(p_what text)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	IF p_what = 'email' THEN
		RAISE EXCEPTION USING ERRCODE = 'MM409',
		    MESSAGE = 'An account with this email already exists';
	END IF;
	RAISE EXCEPTION USING ERRCODE = 'MM409',
	    MESSAGE = 'This username is already taken';
END;
$$;

-- POST /api/auth/register (API §2.1).  Creates the user (email lower-cased,
-- the 90-day trial), its credit balance, the +100 signup bonus through
-- update_credit_balance (one ledger row, key '<userId>:signup_bonus') and
-- the first refresh token, all in the caller's transaction: any failure
-- leaves none of them behind.  Returns the user's id and User object.
--
-- Duplicates answer MM409 (CONFLICT) whether found by the checks below or,
-- under a concurrent registration, by the unique indexes.  Run under
-- SERIALIZABLE, the loser of such a race usually gets a serialization
-- failure instead (it had read the key range); the caller retries and the
-- checks then see the winner's row.
CREATE OR REPLACE FUNCTION users_register(p_email text, p_username text,
    p_display_name text, p_password_hash text, p_refresh_hash text,
    p_refresh_ttl integer)
RETURNS TABLE (user_id text, user_json json)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	v_user		users%ROWTYPE;
	v_credit	record;
	v_constraint	text;
BEGIN
	IF EXISTS (SELECT 1 FROM users u WHERE lower(u.email) = lower(p_email))
	THEN
		PERFORM users_conflict('email');
	END IF;
	IF EXISTS (SELECT 1 FROM users u
		    WHERE lower(u.username) = lower(p_username)) THEN
		PERFORM users_conflict('username');
	END IF;

	BEGIN
		-- The trial is 90 days of 24 hours from creation, whatever
		-- the session's time zone does with daylight saving.
		INSERT INTO users (email, username, display_name,
		    password_hash, trial_started_at, trial_ends_at)
		VALUES (lower(p_email), p_username, p_display_name,
		    p_password_hash, now(), now() + interval '2160 hours')
		RETURNING * INTO v_user;
	EXCEPTION WHEN unique_violation THEN
		GET STACKED DIAGNOSTICS v_constraint = CONSTRAINT_NAME;
		PERFORM users_conflict(CASE WHEN v_constraint IN
		    ('idx_users_email', 'users_email_lower_key')
		    THEN 'email' ELSE 'username' END);
	END;

	INSERT INTO credit_balances (user_id, balance, lifetime_earned,
	    lifetime_spent, version)
	VALUES (v_user.id, 0, 0, 0, 0);
	SELECT * INTO v_credit
	  FROM update_credit_balance(v_user.id, 100, 'signup_bonus', NULL,
	      v_user.id || ':signup_bonus');
	IF v_credit.success IS NOT TRUE OR v_credit.existing THEN
		RAISE EXCEPTION 'signup bonus for % failed: %', v_user.id,
		    v_credit.error_message;
	END IF;

	PERFORM users_refresh_token_add(v_user.id, p_refresh_hash,
	    p_refresh_ttl);
	RETURN QUERY SELECT v_user.id, users_object(v_user);
END;
$$;

-- POST /api/auth/login, first step (API §2.2): what is needed to check the
-- password of the account with this email (case-insensitive).  No row for
-- an unknown email.  Never returned to a client.
CREATE OR REPLACE FUNCTION users_login_lookup(p_email text)
RETURNS TABLE (user_id text, password_hash text, banned boolean,
    suspended boolean)
LANGUAGE sql STABLE AS $$
	SELECT u.id, u.password_hash,
	       COALESCE((u.flags->>'banned')::boolean, false),
	       COALESCE((u.flags->>'suspended')::boolean, false)
	  FROM users u
	 WHERE lower(u.email) = lower(p_email)
$$;

-- POST /api/auth/login, second step, once the password matched: stores a
-- new refresh token and, when p_new_hash is given, replaces the password
-- hash made with a lower iteration count (only if it is still the one that
-- was checked).  Returns the User object; MM401 when the user is gone.
CREATE OR REPLACE FUNCTION users_login_issue(p_user_id text,
    p_refresh_hash text, p_refresh_ttl integer, p_old_hash text,
    p_new_hash text)
RETURNS json
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	v_user	users%ROWTYPE;
BEGIN
	SELECT * INTO v_user FROM users u WHERE u.id = p_user_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION USING ERRCODE = 'MM401',
		    MESSAGE = 'Invalid email or password';
	END IF;
	IF p_new_hash IS NOT NULL THEN
		UPDATE users u SET password_hash = p_new_hash
		 WHERE u.id = p_user_id AND u.password_hash = p_old_hash;
	END IF;
	PERFORM users_refresh_token_add(p_user_id, p_refresh_hash,
	    p_refresh_ttl);
	RETURN users_object(v_user);
END;
$$;

-- POST /api/auth/refresh (API §2.3): rotates a refresh token.
--
-- The presented token (its hash) is revoked by one conditional UPDATE, so
-- of several concurrent uses exactly one finds it active; the others see
-- it revoked.  Result status:
--   'ok'       rotated: the new token is stored, user_id names the user
--   'reused'   the token had already been rotated or revoked: every active
--              refresh token of its user is now revoked (theft detection)
--   'invalid'  unknown or expired
-- 'reused' and 'invalid' are results, not errors, so that the revocations
-- commit; the caller answers 401 for both.  A banned or suspended user
-- raises MM403, which rolls the rotation back.
CREATE OR REPLACE FUNCTION users_refresh(p_token_hash text, p_new_hash text,
    p_refresh_ttl integer)
RETURNS TABLE (status text, user_id text)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	v_uid		text;
	v_banned	boolean;
	v_suspended	boolean;
BEGIN
	UPDATE refresh_tokens t
	   SET revoked_at = now()
	 WHERE t.token_hash = p_token_hash
	   AND t.revoked_at IS NULL
	   AND t.expires_at > now()
	RETURNING t.user_id INTO v_uid;

	IF v_uid IS NULL THEN
		SELECT t.user_id INTO v_uid
		  FROM refresh_tokens t
		 WHERE t.token_hash = p_token_hash
		   AND t.revoked_at IS NOT NULL;
		IF v_uid IS NULL THEN
			RETURN QUERY SELECT 'invalid'::text, NULL::text;
			RETURN;
		END IF;
		UPDATE refresh_tokens t
		   SET revoked_at = now()
		 WHERE t.user_id = v_uid
		   AND t.revoked_at IS NULL;
		RETURN QUERY SELECT 'reused'::text, v_uid;
		RETURN;
	END IF;

	SELECT COALESCE((u.flags->>'banned')::boolean, false),
	       COALESCE((u.flags->>'suspended')::boolean, false)
	  INTO v_banned, v_suspended
	  FROM users u
	 WHERE u.id = v_uid;
	IF v_banned THEN
		RAISE EXCEPTION USING ERRCODE = 'MM403',
		    MESSAGE = 'This account is banned';
	END IF;
	IF v_suspended THEN
		RAISE EXCEPTION USING ERRCODE = 'MM403',
		    MESSAGE = 'This account is suspended';
	END IF;

	PERFORM users_refresh_token_add(v_uid, p_new_hash, p_refresh_ttl);
	RETURN QUERY SELECT 'ok'::text, v_uid;
END;
$$;

-- POST /api/auth/logout (API §2.3): revokes the token if it is active.
-- Unknown or already revoked tokens change nothing.  Returns the number of
-- tokens revoked (0 or 1).
CREATE OR REPLACE FUNCTION users_logout(p_token_hash text)
RETURNS integer
LANGUAGE sql VOLATILE AS $$
	WITH r AS (
		UPDATE refresh_tokens t
		   SET revoked_at = now()
		 WHERE t.token_hash = p_token_hash
		   AND t.revoked_at IS NULL
		RETURNING 1)
	SELECT count(*)::integer FROM r
$$;

-- PUT /api/profile (API §2.5).  Each p_set_* says whether the field was
-- sent (a sent NULL clears it); fields not sent keep their value.  Returns
-- the profile object of §2.4.
CREATE OR REPLACE FUNCTION users_profile_update(p_user_id text,
    p_set_display boolean, p_display_name text, p_set_avatar boolean,
    p_avatar_url text)
RETURNS json
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
	UPDATE users u
	   SET display_name = CASE WHEN p_set_display THEN p_display_name
			      ELSE u.display_name END,
	       avatar_url = CASE WHEN p_set_avatar THEN p_avatar_url
			    ELSE u.avatar_url END
	 WHERE u.id = p_user_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION USING ERRCODE = 'MM404',
		    MESSAGE = 'User not found';
	END IF;
	RETURN users_profile(p_user_id);
END;
$$;

-- The authentication lookup of auth_user() and the GET /api/auth/me
-- document (users_me_object()) in one round trip: /me is the hottest
-- authenticated read, and its answer needs nothing the lookup has not
-- just read. Written out as one query, not as calls of auth_user() and
-- users_me(), so that the planner inlines it into the prepared statement
-- and plans it once per connection; a nested PL/pgSQL call would run its
-- own statements on every request. tests/http/test_auth.py checks that
-- both give the same document.
CREATE OR REPLACE FUNCTION auth_user_me(p_id text)
RETURNS TABLE (id text, username text, email text, display_name text,
	       roles text, banned boolean, suspended boolean, doc text)
LANGUAGE sql STABLE AS $$
	SELECT u.id, u.username, u.email, u.display_name,
	       COALESCE(u.roles, '["user"]'::jsonb)::text,
	       COALESCE((u.flags->>'banned')::boolean, false),
	       COALESCE((u.flags->>'suspended')::boolean, false),
	       users_me_object(u, COALESCE(b.balance, 0))::text
	  FROM users u
	  LEFT JOIN credit_balances b ON b.user_id = u.id
	 WHERE u.id = p_id
$$;
