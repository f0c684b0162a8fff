/* Statements of the journey binary (sql/functions/journey.sql). */
#ifndef MM_STMT_JOURNEY_H
#define MM_STMT_JOURNEY_H

/*
 * PRESCRIPTION_CREATE_FREE runs in autocommit: it answers a replay or an
 * unlimited user's prescription, and NULL when the free tier must be
 * charged through PRESCRIPTION_CREATE, run with DB_SERIALIZABLE.
 */
#define STMT_JOURNEY(X)							\
	X(JOURNEY_ARCHETYPES, "SELECT journey_archetypes()", 0)		\
	X(JOURNEY_LEVELS, "SELECT journey_levels($1)", 1)		\
	X(JOURNEY_SELECT, "SELECT journey_select($1, $2)", 2)		\
	X(JOURNEY_OVERVIEW, "SELECT journey_overview($1)", 1)		\
	X(JOURNEY_PROGRESS, "SELECT journey_progress($1)", 1)		\
	X(PRESCRIPTION_REPLAY, "SELECT prescription_replay($1, $2)", 2)	\
	X(PRESCRIPTION_CREATE, "SELECT prescription_create($1, "	\
	    "$2::jsonb, $3::jsonb, $4::jsonb, $5::jsonb, $6::jsonb, "	\
	    "$7::jsonb, $8::integer, $9)", 9)				\
	X(PRESCRIPTION_CREATE_FREE, "SELECT prescription_create_free("	\
	    "$1, $2::jsonb, $3::jsonb, $4::jsonb, $5::jsonb, $6::jsonb, "	\
	    "$7::jsonb, $8::integer, $9)", 9)				\
	X(PRESCRIPTION_GET, "SELECT prescription_get($1, $2)", 2)

#endif
