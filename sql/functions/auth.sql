-- Authentication reads.

-- The user an access token names, with what every request needs to decide
-- on it: roles and the banned/suspended flags come from here, never from
-- the token.  No row: the token's user no longer exists (401).
CREATE OR REPLACE FUNCTION auth_user(p_id text)
RETURNS TABLE (id text, username text, email text, display_name text,
	       roles text, banned boolean, suspended boolean)
LANGUAGE sql STABLE AS $$
	SELECT u.id, u.username, u.email, u.display_name,
	       COALESCE(u.roles, '["user"]'::jsonb)::text,
	       COALESCE((u.flags->>'banned')::boolean, false),
	       COALESCE((u.flags->>'suspended')::boolean, false)
	  FROM users u
	 WHERE u.id = p_id
$$;
