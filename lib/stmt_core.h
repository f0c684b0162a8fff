/*
 * Statements every binary may use: health, bookkeeping, the catalog, and
 * what follows an activity (lib/events.c, events_after_activity()), the
 * queue lock of db_exec_queued() (lib/db.c).
 */
#ifndef MM_STMT_CORE_H
#define MM_STMT_CORE_H

#define STMT_CORE(X)							\
	X(PING, "SELECT 1", 0)						\
	X(HEALTH_POOL, "SELECT health_pool()", 0)			\
	X(MIGRATION_VERSION, "SELECT migration_version()", 0)		\
	X(AUTH_USER, "SELECT * FROM auth_user($1)", 1)			\
	X(AUTH_USER_ME, "SELECT * FROM auth_user_me($1)", 1)		\
	X(CATALOG_VERSION, "SELECT catalog_version()", 0)		\
	X(CATALOG_MUSCLES, "SELECT * FROM catalog_muscles()", 0)	\
	X(CATALOG_EXERCISES, "SELECT * FROM catalog_exercises()", 0)	\
	X(CATALOG_ACTIVATIONS, "SELECT * FROM catalog_activations()", 0) \
	X(CATALOG_SEARCH, "SELECT * FROM catalog_search($1)", 1)	\
	X(ACTIVITY_AFTER, "SELECT activity_after($1)", 1)		\
	X(QUEUE_LOCK, "SELECT db_queue_lock($1)", 1)			\
	X(QUEUE_UNLOCK, "SELECT db_queue_unlock($1)", 1)		\
	X(WAIT_DURABLE, "SELECT db_wait_durable()", 0)

#endif
