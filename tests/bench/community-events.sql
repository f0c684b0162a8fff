-- Generates the community benchmark's data set once: 1,000 users
-- (bench_feed_<n>) and, when the table holds fewer, enough activity events
-- to reach one million, spread over the last 30 days: 60 % public_anon,
-- 30 % public_profile, 10 % private, with payloads shaped like workout
-- events.  A few blocks give the signed-in feed its anti-joins.  Safe to
-- run again: it only tops up.
\set ON_ERROR_STOP 1

insert into users (id, email, username, password_hash)
select 'user_benchfeed' || lpad(n::text, 18, '0'),
       'bench_feed_' || n || '@bench.invalid', 'bench_feed_' || n,
       'pbkdf2_sha256$1000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='
  from generate_series(1, 1000) n
on conflict do nothing;

insert into user_blocks (blocker_id, blocked_id)
select 'user_benchfeed' || lpad(n::text, 18, '0'),
       'user_benchfeed' || lpad((n + 1)::text, 18, '0')
  from generate_series(1, 999, 50) n
on conflict do nothing;

insert into activity_events (user_id, event_type, payload, visibility_scope,
    created_at)
select 'user_benchfeed' || lpad((1 + i % 1000)::text, 18, '0'),
       case when i % 10 = 0 then 'milestone_achieved'
	    when i % 10 < 4 then 'level_up' else 'workout_completed' end,
       jsonb_build_object('workoutId', 'workout_bench' || i,
	   'userId', 'user_benchfeed' || lpad((1 + i % 1000)::text, 18, '0'),
	   'username', 'bench_feed_' || (1 + i % 1000),
	   'totalTu', round((i % 500)::numeric / 3, 2),
	   'topMuscles', jsonb_build_array('chest-mid', 'delt-front'),
	   'exerciseCount', 1 + i % 6),
       case when i % 10 = 0 then 'private'
	    when i % 10 < 4 then 'public_profile' else 'public_anon' end,
       now() - make_interval(secs => i * 2.592)
  from generate_series(1, greatest(0, 1000000
	   - (select count(*) from activity_events))) i;

analyze activity_events;
analyze user_blocks;
