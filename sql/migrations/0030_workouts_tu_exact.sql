-- The exact Training Units of a workout (API §4.1, §1.7).
--
-- workouts.total_tu is REAL, as in the data model, and keeps being written.
-- A REAL holds about 7 significant digits, so a total such as 152777.78
-- (50 entries of 100 sets) cannot be stored to the cent. total_tu_exact
-- keeps the rounded value the API computed; readers use it when it agrees
-- with total_tu and fall back to total_tu otherwise (rows written by other
-- means, or whose total_tu was changed directly). See workout_tu() in
-- sql/functions/workouts.sql.

alter table workouts add column total_tu_exact numeric(14, 2)
	check (total_tu_exact >= 0);
