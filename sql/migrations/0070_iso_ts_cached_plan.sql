-- iso_ts(t) in plpgsql, with the same result and the same declaration.
--
-- Declared IMMUTABLE around the STABLE to_char(), the language sql version
-- is never inlined by the planner, so every call site in every statement
-- parsed and planned its one-line body again (a message send paid that
-- twice, for editedAt and createdAt).  plpgsql keeps the plan of its
-- expression for the session and evaluates it directly.
create or replace function iso_ts(t timestamptz)
returns text
language plpgsql
immutable
strict
parallel safe
as $$
begin
	return to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
end;
$$;
