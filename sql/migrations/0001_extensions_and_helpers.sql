-- Extensions and small helpers used by every later migration.
--
-- mm_id(prefix) builds the public ids of API §1.7: "<prefix>_" followed by a
-- UUID v4 without dashes (32 lowercase hex digits). It is volatile, so a
-- column default calls it once per row.
--
-- iso_ts(t) formats a timestamptz as ISO 8601 UTC with milliseconds and "Z".
-- to_char() is only STABLE because some format patterns depend on the
-- locale or the session time zone; the pattern used here depends on
-- neither (the value is converted to UTC first), so the wrapper is declared
-- IMMUTABLE and may be used in indexes and generated columns.

create extension if not exists "uuid-ossp";
create extension if not exists pg_trgm;

create or replace function mm_id(prefix text)
returns text
language sql
volatile
parallel safe
as $$
	select prefix || '_' || replace(uuid_generate_v4()::text, '-', '')
$$;

create or replace function iso_ts(t timestamptz)
returns text
language sql
immutable
strict
parallel safe
as $$
	select to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

-- Trigger function: keep updated_at current on every UPDATE.
create or replace function update_updated_at()
returns trigger
language plpgsql
as $$
begin
	new.updated_at = now();
	return new;
end;
$$;
