-- Tables of the scheduled jobs (cron/, etc/crontab; the seed's cron job
-- pipeline). Every job works through sql/functions/jobs.sql in batches of
-- users (or rows) and is idempotent: what it writes is keyed by the period
-- it covers, and rows are only rewritten when a value really changes.
-- All dates are UTC calendar dates, as everywhere in the API. Training
-- Unit figures are numeric without a bound (a user's all-time total has
-- none), rounded to 2 decimals when written, as in the leaderboard view.
--
-- user_streaks (check-streaks, hourly). One row per user who has ever
-- logged a workout: current_streak = consecutive days with a workout
-- ending today, or ending yesterday when there is none today (API §6.6);
-- longest_streak = the longest such run ever; last_workout_date = the
-- newest workout date. A row is written only when one of them changes, so
-- a second run in the same hour writes nothing. Users who never logged a
-- workout get no row.
--
-- daily_challenges (assign-daily-challenges and expire-challenges, daily).
-- At most one challenge per user and day (unique (user_id,
-- challenge_date)), assigned to users who logged a workout in the last 30
-- days. kind: 'workout' (log target workouts that day), 'tu' (earn target
-- Training Units that day) or 'muscle_group' (give muscle_group at least
-- target TU that day). The kind and target are derived deterministically
-- from the user's recent training, so assigning twice gives the same row.
-- status: 'active' until the day is over; expire-challenges then records
-- progress (measured from the day's workouts) and closes it as
-- 'completed' (progress >= target) or 'expired'; closed rows never change.
--
-- rivalries (update-rival-scores, hourly). Two users who compete week by
-- week; one row per pair (the unique index ignores the order). The job
-- keeps the scores of the current ISO week (Monday to today, UTC): each
-- side's Training Units from workouts dated in that week, and leader_id
-- (NULL on a tie). Rows are created by whatever matches rivals; ended
-- rivalries are no longer scored.
--
-- weekly_snapshots (create-weekly-snapshots, daily). One row per user and
-- completed ISO week (week_start = its Monday) in which the user logged at
-- least one workout: workout count, days trained, Training Units, and TU
-- per muscle group. Daily runs make sure the previous week is captured
-- even after a missed run; an existing snapshot is never rewritten.
--
-- leaderboard_snapshots / leaderboard_snapshot_entries
-- (snapshot-leaderboards, weekly). One snapshot per board and period:
-- board 'all_time' ranks every non-banned user by the Training Units of
-- their public workouts dated up to period_end (the API §7.4 leaderboard
-- as it stood), board 'weekly' by the public workouts dated within the
-- seven days period_start..period_end. period_end is the day before the
-- run (the job runs Sunday 00:00 UTC, so a week is Sunday to Saturday).
-- Users without public workouts in the period are not ranked. rank is SQL
-- RANK() (ties share a rank), position the row number in rank order. A
-- snapshot is built in two batched passes (collect, then rank) while its
-- status is 'building'; a run that stopped half way is resumed by the next
-- one, and a 'complete' snapshot is never touched again.

create table user_streaks (
	user_id           text primary key references users (id) on delete cascade,
	current_streak    integer not null default 0 check (current_streak >= 0),
	longest_streak    integer not null default 0 check (longest_streak >= 0),
	last_workout_date date,
	updated_at        timestamptz not null default now(),
	constraint user_streaks_longest_check check (longest_streak >= current_streak)
);

create table daily_challenges (
	id             text primary key default mm_id('dch'),
	user_id        text not null references users (id) on delete cascade,
	challenge_date date not null,
	kind           text not null
	               check (kind in ('workout', 'tu', 'muscle_group')),
	muscle_group   text,
	target         numeric not null check (target > 0),
	title          text not null,
	status         text not null default 'active'
	               check (status in ('active', 'completed', 'expired')),
	progress       numeric not null default 0.00 check (progress >= 0),
	created_at     timestamptz not null default now(),
	closed_at      timestamptz,
	constraint daily_challenges_user_id_challenge_date_key
		unique (user_id, challenge_date),
	constraint daily_challenges_group_check
		check ((kind = 'muscle_group') = (muscle_group is not null)),
	constraint daily_challenges_closed_check
		check ((status = 'active') = (closed_at is null))
);

create index daily_challenges_active_idx on daily_challenges (id)
	where status = 'active';

create table rivalries (
	id                text primary key default mm_id('rival'),
	user_id           text not null references users (id) on delete cascade,
	rival_id          text not null references users (id) on delete cascade,
	status            text not null default 'active'
	                  check (status in ('active', 'ended')),
	started_at        timestamptz not null default now(),
	week_start        date,
	user_score        numeric not null default 0.00,
	rival_score       numeric not null default 0.00,
	leader_id         text references users (id) on delete set null,
	scores_updated_at timestamptz,
	constraint rivalries_not_self check (user_id <> rival_id)
);

create unique index rivalries_pair_key on rivalries
	(least(user_id, rival_id), greatest(user_id, rival_id));
create index rivalries_rival_idx on rivalries (rival_id);
create index rivalries_active_idx on rivalries (id) where status = 'active';

create table weekly_snapshots (
	user_id       text not null references users (id) on delete cascade,
	week_start    date not null
	              check (extract(isodow from week_start) = 1),
	workouts      integer not null check (workouts > 0),
	active_days   integer not null check (active_days between 1 and 7),
	total_tu      numeric not null check (total_tu >= 0),
	muscle_groups jsonb not null default '{}'::jsonb
	              check (jsonb_typeof(muscle_groups) = 'object'),
	created_at    timestamptz not null default now(),
	primary key (user_id, week_start)
);

create index weekly_snapshots_week_idx on weekly_snapshots (week_start);

create table leaderboard_snapshots (
	id           text primary key default mm_id('lbs'),
	board        text not null check (board in ('all_time', 'weekly')),
	period_start date,
	period_end   date not null,
	status       text not null default 'building'
	             check (status in ('building', 'complete')),
	entries      integer not null default 0,
	created_at   timestamptz not null default now(),
	completed_at timestamptz,
	constraint leaderboard_snapshots_board_period_key
		unique (board, period_end),
	constraint leaderboard_snapshots_period_check
		check ((board = 'all_time') = (period_start is null)
		       and (period_start is null or period_start <= period_end))
);

create table leaderboard_snapshot_entries (
	snapshot_id   text not null
	              references leaderboard_snapshots (id) on delete cascade,
	user_id       text not null references users (id) on delete cascade,
	total_tu      numeric not null check (total_tu >= 0),
	workout_count integer not null check (workout_count > 0),
	rank          integer check (rank > 0),
	position      integer check (position > 0),
	primary key (snapshot_id, user_id)
);

create index leaderboard_snapshot_entries_order_idx
	on leaderboard_snapshot_entries (snapshot_id, total_tu desc, user_id);
create index leaderboard_snapshot_entries_user_idx
	on leaderboard_snapshot_entries (user_id);
