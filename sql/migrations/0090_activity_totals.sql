-- Running totals of each user's activity, kept by a trigger on workouts.
--
-- After every workout the server decides whether a milestone is reached
-- (API §10.6) or a journey level (§6.5). Both read the user's totals;
-- summing the whole history each time made logging a workout slower the
-- more a user had trained. These tables hold the same sums, updated in
-- the transaction that inserts, changes or deletes a workout, so they are
-- never out of step with the workouts table.
--
-- The trigger and its helper live here rather than in sql/functions/:
-- they must exist, in this same transaction, before the backfill below,
-- so that no workout written meanwhile is missed.

create table user_activity_totals (
	user_id   text primary key references users (id) on delete cascade,
	workouts  bigint not null default 0,
	-- Σ workouts.total_tu (REAL). Each REAL is exact as a double, and so
	-- is their sum at any realistic size, in whatever order it was added.
	tu        double precision not null default 0,
	exercises bigint not null default 0,	-- exercise entries
	reps      numeric not null default 0,	-- Σ sets x reps, entries with reps
	-- Σ sets x seconds per set: the entry's duration, else the exercise's
	-- estimated_seconds when the workout was written, else 45.
	seconds   numeric not null default 0,
	-- The longest run of consecutive training days ever.
	longest_streak integer not null default 0,
	high_fives_sent bigint not null default 0
);

-- The days a user trained, with how many workouts each (streaks, §6.6).
create table user_training_days (
	user_id  text not null references users (id) on delete cascade,
	day      date not null,
	workouts integer not null check (workouts > 0),
	primary key (user_id, day)
);

-- What one workout adds to the totals. Inline numbers (a JSON number or
-- NULL) because sql/functions/ is applied after the migrations; PL/pgSQL
-- because it keeps the query's plan, where an SQL function would plan it
-- again on every call.
create or replace function activity_workout_metrics(p_exercise_data jsonb)
returns table (exercises bigint, reps numeric, seconds numeric)
language plpgsql
stable
as $$
#variable_conflict use_column
begin
	return query
	with e as (
		select coalesce(case when jsonb_typeof(x -> 'sets') = 'number'
				then (x ->> 'sets')::numeric end, 1) as sets,
		       case when jsonb_typeof(x -> 'reps') = 'number'
				then (x ->> 'reps')::numeric end as reps,
		       case when jsonb_typeof(x -> 'duration') = 'number'
				then (x ->> 'duration')::numeric end as duration,
		       x ->> 'exerciseId' as exercise_id
		  from jsonb_array_elements(case
			when jsonb_typeof(p_exercise_data) = 'array'
			then p_exercise_data else '[]'::jsonb end) x
		 where jsonb_typeof(x) = 'object'
	)
	select count(*),
	       coalesce(sum(e.sets * e.reps) filter (where e.reps is not null), 0),
	       coalesce(sum(e.sets * coalesce(e.duration, ex.estimated_seconds,
		   45)), 0)
	  from e
	  left join exercises ex on ex.id = e.exercise_id;
end;
$$;

-- The longest run of consecutive days in user_training_days.
create or replace function activity_longest_streak(p_user_id text)
returns integer
language plpgsql
stable
as $$
begin
	return coalesce((
		select max(n) from (
			select count(*) as n
			  from (select d.day - (row_number() over (
					order by d.day))::integer as run
				  from user_training_days d
				 where d.user_id = p_user_id) x
			 group by x.run
		) runs), 0);
end;
$$;

-- The length of the run of consecutive training days through p_day.
create or replace function activity_run_through(p_user_id text, p_day date)
returns integer
language plpgsql
stable
as $$
declare
	v_back integer := 0;
	v_fwd  integer := 0;
begin
	while exists (select 1 from user_training_days d
		       where d.user_id = p_user_id
			 and d.day = p_day - (v_back + 1)) loop
		v_back := v_back + 1;
	end loop;
	while exists (select 1 from user_training_days d
		       where d.user_id = p_user_id
			 and d.day = p_day + (v_fwd + 1)) loop
		v_fwd := v_fwd + 1;
	end loop;
	return v_back + 1 + v_fwd;
end;
$$;

create or replace function activity_totals_track()
returns trigger
language plpgsql
as $$
declare
	m      record;
	v_same integer;		-- workouts on the new workout's day
begin
	if tg_op in ('DELETE', 'UPDATE') then
		select * into m from activity_workout_metrics(old.exercise_data);
		update user_activity_totals t
		   set workouts = t.workouts - 1,
		       tu = t.tu - old.total_tu::double precision,
		       exercises = t.exercises - m.exercises,
		       reps = t.reps - m.reps,
		       seconds = t.seconds - m.seconds
		 where t.user_id = old.user_id;
		delete from user_training_days d
		 where d.user_id = old.user_id and d.day = old.date
		   and d.workouts = 1;
		if found then
			-- A day gone can split a run: count again.
			update user_activity_totals t
			   set longest_streak = activity_longest_streak(old.user_id)
			 where t.user_id = old.user_id;
		else
			update user_training_days d set workouts = d.workouts - 1
			 where d.user_id = old.user_id and d.day = old.date;
		end if;
	end if;
	if tg_op in ('INSERT', 'UPDATE') then
		select * into m from activity_workout_metrics(new.exercise_data);
		insert into user_activity_totals as t (user_id, workouts, tu,
		    exercises, reps, seconds)
		values (new.user_id, 1, new.total_tu, m.exercises, m.reps,
		    m.seconds)
		on conflict (user_id) do update
		   set workouts = t.workouts + 1,
		       tu = t.tu + excluded.tu,
		       exercises = t.exercises + excluded.exercises,
		       reps = t.reps + excluded.reps,
		       seconds = t.seconds + excluded.seconds;
		insert into user_training_days as d (user_id, day, workouts)
		values (new.user_id, new.date, 1)
		on conflict (user_id, day) do update
		   set workouts = d.workouts + 1
		returning d.workouts into v_same;
		if v_same = 1 then
			-- A new day can only join runs: the one through it may
			-- be the longest now.
			update user_activity_totals t
			   set longest_streak = greatest(t.longest_streak,
			       activity_run_through(new.user_id, new.date))
			 where t.user_id = new.user_id;
		end if;
	end if;
	return null;
end;
$$;

create or replace function activity_high_fives_track()
returns trigger
language plpgsql
as $$
begin
	if tg_op = 'DELETE' then
		update user_activity_totals t
		   set high_fives_sent = t.high_fives_sent - 1
		 where t.user_id = old.sender_id;
	else
		insert into user_activity_totals as t (user_id, high_fives_sent)
		values (new.sender_id, 1)
		on conflict (user_id) do update
		   set high_fives_sent = t.high_fives_sent + 1;
	end if;
	return null;
end;
$$;

-- Taking the trigger's lock on workouts first holds back concurrent
-- writers until the backfill below has committed.
create trigger workouts_activity_totals
	after insert or delete or update of user_id, date, total_tu,
	    exercise_data
	on workouts
	for each row execute function activity_totals_track();
create trigger high_fives_activity_totals
	after insert or delete on high_fives
	for each row execute function activity_high_fives_track();

insert into user_activity_totals (user_id, workouts, tu, exercises, reps,
    seconds)
select w.user_id, count(*), sum(w.total_tu::double precision),
       sum(m.exercises), sum(m.reps), sum(m.seconds)
  from workouts w
 cross join lateral activity_workout_metrics(w.exercise_data) m
 group by w.user_id;

insert into user_training_days (user_id, day, workouts)
select w.user_id, w.date, count(*)
  from workouts w
 group by w.user_id, w.date;

update user_activity_totals t
   set longest_streak = activity_longest_streak(t.user_id);

insert into user_activity_totals as t (user_id, high_fives_sent)
select h.sender_id, count(*)
  from high_fives h
 group by h.sender_id
on conflict (user_id) do update
   set high_fives_sent = excluded.high_fives_sent;
