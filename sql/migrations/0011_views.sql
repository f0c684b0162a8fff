-- Reporting views of the data model.
--
-- flags->>'banned' / 'suspended' may be missing (or flags may hold other
-- keys only); "is distinct from 'true'" treats a missing value as false.
--
-- TU sums: workouts.total_tu is REAL. Summing in double precision is exact
-- for realistic totals (every REAL converts exactly), so equal sets of
-- workouts give equal sums whatever the scan order; the result is rounded
-- to 2 decimals (API §1.7) and returned as numeric, and RANK() orders by that
-- rounded value so that users shown with the same total share a rank.
--
-- "This week" in active_users is the last 7 days including today (UTC), as
-- in API §4.5.

create or replace view active_users as
select
	u.id,
	u.username,
	u.display_name,
	u.current_archetype_id,
	u.current_level,
	cb.balance as credit_balance,
	(select count(*)
	   from workouts w
	  where w.user_id = u.id
	    and w.date > (now() at time zone 'UTC')::date - 7) as workouts_this_week,
	(select round(coalesce(sum(w.total_tu::double precision), 0)::numeric, 2)
	   from workouts w
	  where w.user_id = u.id) as total_tu
from users u
left join credit_balances cb on cb.user_id = u.id
where (u.flags ->> 'banned') is distinct from 'true'
  and (u.flags ->> 'suspended') is distinct from 'true';

create or replace view leaderboard as
select
	t.user_id,
	t.username,
	t.display_name,
	t.avatar_url,
	t.current_archetype_id,
	t.current_level,
	t.total_tu,
	t.workout_count,
	rank() over (order by t.total_tu desc) as rank
from (
	select
		u.id as user_id,
		u.username,
		u.display_name,
		u.avatar_url,
		u.current_archetype_id,
		u.current_level,
		round(coalesce(sum(w.total_tu::double precision), 0)::numeric, 2) as total_tu,
		count(w.id) as workout_count
	from users u
	left join workouts w on w.user_id = u.id and w.is_public
	where (u.flags ->> 'banned') is distinct from 'true'
	group by u.id
) t
order by t.total_tu desc, t.user_id;
