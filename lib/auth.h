/*
 * auth: the authentication step every binary runs (the seed's
 * authentication flow).  No token on a public endpoint: continue without a
 * user.  A token: verify it, load the user, attach it to the request.  An
 * invalid token, or a missing one where required: 401.  A banned or
 * suspended user: 403.  Roles and flags always come from the database.
 */
#ifndef MM_AUTH_H
#define MM_AUTH_H

struct req;

enum auth_level {
	AUTH_NONE,	/* the Authorization header is ignored */
	AUTH_OPTIONAL,	/* anonymous allowed; a bad token is still 401 */
	AUTH_REQUIRED,
};

struct user {
	char	*id;
	char	*username;
	char	*email;
	char	*display_name;		/* may be NULL */
	char	**roles;		/* NULL-terminated */
	int	 banned;
	int	 suspended;
	char	*doc;			/* GET /api/auth/me document, when
					   the route asked for it (R_AUTH_DOC) */
};

/*
 * Authenticates r from its Authorization header at the given level; on
 * success r->user is the user or NULL (anonymous).  Returns 0, or -1
 * after a 401/403 (or 503) reply.
 */
int	auth_request(struct req *, enum auth_level);
/* The same for a token taken from elsewhere (the ?token= of streams). */
int	auth_token(struct req *, const char *token, enum auth_level);
int	user_has_role(const struct user *, const char *role);
/* Replies 403 unless the user has one of the roles; 0 or -1. */
int	auth_require_role(struct req *, const char *role, const char *role2);

#endif
