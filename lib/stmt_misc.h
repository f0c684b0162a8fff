/*
 * Statements of the misc binary (API §11: settings, places).  Functions in
 * sql/functions/misc.sql.
 */
#ifndef MM_STMT_MISC_H
#define MM_STMT_MISC_H

#define STMT_MISC(X)							\
	X(SETTINGS_GET, "SELECT settings_get($1)", 1)			\
	X(SETTINGS_PATCH, "SELECT settings_patch($1, $2::jsonb)", 2)	\
	X(SETTINGS_THEMES, "SELECT settings_themes_doc()", 0)		\
	X(LOCATIONS_NEARBY, "SELECT locations_nearby($1::float8, "	\
	    "$2::float8, $3::float8)", 3)

#endif
