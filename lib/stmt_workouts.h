/* Statements of the workouts binary (sql/functions/workouts.sql). */
#ifndef MM_STMT_WORKOUTS_H
#define MM_STMT_WORKOUTS_H

#define STMT_WORKOUTS(X)						\
	X(WORKOUT_CREATE, "SELECT status, workout, event FROM "		\
	    "workout_create($1, $2::date, $3::numeric, $4::jsonb, "	\
	    "$5::jsonb, $6, $7::boolean, $8, $9::jsonb)", 9)		\
	X(WORKOUT_GET, "SELECT workout_get($1, $2)", 2)			\
	X(WORKOUT_LIST, "SELECT workout_list($1, $2::integer, "		\
	    "$3::bigint, $4::date, $5::date)", 5)			\
	X(WORKOUT_STATS, "SELECT workout_stats($1)", 1)			\
	X(WORKOUT_MUSCLES, "SELECT workout_muscles($1, $2::integer)", 2)

#endif
