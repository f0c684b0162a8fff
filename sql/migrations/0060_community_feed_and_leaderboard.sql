-- Community: feed indexes, the materialized leaderboard, competition entry
-- bookkeeping (API §7).
--
-- Feed (API §7.1, §1.8). Pages are read newest first with the keyset
-- (created_at, id). Anonymous callers read one scope (public_anon), served
-- by idx_activity_events_visibility. Signed-in callers read two scopes plus
-- their own private events: the partial index below holds exactly the
-- non-private events in feed order, so that branch is one ordered index
-- scan, and the private branch reads the caller's private events from the
-- second partial index; the two are merged (Merge Append) and stop after
-- limit + 1 rows. EXPLAIN on a million events: a few index pages per page.
--
-- Leaderboard (API §7.4): the leaderboard view aggregates every workout of
-- every user, far too slow to run per request with 100,000 users. The
-- materialized view leaderboard_snapshot holds its rows; leaderboard_refresh()
-- rebuilds it (cron, every minute) and the read path refreshes it itself
-- when the last refresh is older than a minute (see sql/functions/community.sql).
-- It is created WITH DATA, so it is never empty.
--
-- competition_entries counts a user's joins of a competition: the entry fee
-- and its refund use ledger keys that carry that count, so each join is
-- charged once and each charge refunded once, also after leave and rejoin.

create index if not exists activity_events_feed_public_idx on activity_events
	(created_at desc, id desc) where visibility_scope <> 'private';
create index if not exists activity_events_feed_private_idx on activity_events
	(user_id, created_at desc, id desc) where visibility_scope = 'private';

-- /api/community/stats/public counts selections of the last 30 minutes.
create index if not exists workouts_created_idx on workouts (created_at);

create materialized view if not exists leaderboard_snapshot as
	select user_id, username, display_name, avatar_url,
	       current_archetype_id, current_level, total_tu, workout_count, rank
	  from leaderboard
with data;

create unique index if not exists leaderboard_snapshot_user_idx
	on leaderboard_snapshot (user_id);
create index if not exists leaderboard_snapshot_rank_idx
	on leaderboard_snapshot (rank, user_id);

create table if not exists leaderboard_meta (
	id           integer primary key default 1 check (id = 1),
	refreshed_at timestamptz not null default now()
);
insert into leaderboard_meta (id, refreshed_at) values (1, now())
	on conflict (id) do nothing;

create table if not exists competition_entries (
	competition_id text not null references competitions (id) on delete cascade,
	user_id        text not null references users (id) on delete cascade,
	joins          integer not null default 0 check (joins >= 0),
	primary key (competition_id, user_id)
);
