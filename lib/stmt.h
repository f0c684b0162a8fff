/*
 * stmt: the table of every SQL statement the programs run.
 *
 * Each entry names a statement, the one-line call to the stored function
 * in sql/functions/ that does the work, and its parameter count.  The enum
 * and the table are generated from one list, so they cannot drift apart.
 */
#ifndef MM_STMT_H
#define MM_STMT_H

/*
 * Each domain keeps its statements in its own list (stmt_<domain>.h); the
 * table is their concatenation.
 */
#include "stmt_core.h"
#include "stmt_auth.h"
#include "stmt_workouts.h"
#include "stmt_economy.h"
#include "stmt_journey.h"
#include "stmt_community.h"
#include "stmt_messaging.h"
#include "stmt_tips.h"
#include "stmt_misc.h"

#define STMT_LIST(X)							\
	STMT_CORE(X)							\
	STMT_AUTH(X)							\
	STMT_WORKOUTS(X)						\
	STMT_ECONOMY(X)							\
	STMT_JOURNEY(X)							\
	STMT_COMMUNITY(X)						\
	STMT_MESSAGING(X)						\
	STMT_TIPS(X)							\
	STMT_MISC(X)

enum stmt {
#define X(name, sql, n)	STMT_##name,
	STMT_LIST(X)
#undef X
	STMT__MAX
};

const char	*stmt_name(enum stmt);
const char	*stmt_sql(enum stmt);
int		 stmt_nparams(enum stmt);

#endif
