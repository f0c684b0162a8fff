/* Statements of the auth binary (accounts, tokens, profiles). */
#ifndef MM_STMT_AUTH_H
#define MM_STMT_AUTH_H

#define STMT_AUTH(X)							\
	X(USERS_REGISTER,						\
	    "SELECT * FROM users_register($1, $2, $3, $4, $5, $6::integer)", \
	    6)								\
	X(USERS_LOGIN_LOOKUP, "SELECT * FROM users_login_lookup($1)", 1) \
	X(USERS_LOGIN_ISSUE,						\
	    "SELECT users_login_issue($1, $2, $3::integer, $4, $5)", 5)	\
	X(USERS_REFRESH,						\
	    "SELECT * FROM users_refresh($1, $2, $3::integer)", 3)	\
	X(USERS_LOGOUT, "SELECT users_logout($1)", 1)			\
	X(USERS_ME, "SELECT users_me($1)", 1)				\
	X(USERS_PROFILE, "SELECT users_profile($1)", 1)		\
	X(USERS_PROFILE_UPDATE,						\
	    "SELECT users_profile_update($1, $2::boolean, $3, "		\
	    "$4::boolean, $5)", 5)

#endif
