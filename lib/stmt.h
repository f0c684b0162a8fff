/*
 * stmt: the table of every SQL statement the programs run.
 *
 * Each entry names a statement, the one-line call to the stored function
 * in sql/functions/ that does the work, and its parameter count.  The enum
 * and the table are generated from one list, so they cannot drift apart.
 */
#ifndef MM_STMT_H
#define MM_STMT_H

#define STMT_LIST(X)							\
	X(PING, "SELECT 1", 0)						\
	X(HEALTH_POOL, "SELECT health_pool()", 0)			\
	X(MIGRATION_VERSION, "SELECT migration_version()", 0)		\
	X(AUTH_USER, "SELECT * FROM auth_user($1)", 1)			\
	X(CATALOG_VERSION, "SELECT catalog_version()", 0)		\
	X(CATALOG_MUSCLES, "SELECT * FROM catalog_muscles()", 0)	\
	X(CATALOG_EXERCISES, "SELECT * FROM catalog_exercises()", 0)	\
	X(CATALOG_ACTIVATIONS, "SELECT * FROM catalog_activations()", 0) \
	X(CATALOG_SEARCH, "SELECT * FROM catalog_search($1)", 1)

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
