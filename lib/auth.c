#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cJSON.h>

#include "auth.h"
#include "cfg.h"
#include "db.h"
#include "err.h"
#include "http.h"
#include "log.h"
#include "token.h"

static char **
parse_roles(struct req *r, const char *json)
{
	cJSON	*arr = cJSON_Parse(json), *it;
	char	**roles;
	size_t	 n = 0;

	roles = req_alloc(r, sizeof(char *) *
	    (size_t)(cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) + 1 : 1));
	cJSON_ArrayForEach(it, arr)
		if (cJSON_IsString(it))
			roles[n++] = req_strdup(r, it->valuestring);
	roles[n] = NULL;
	cJSON_Delete(arr);
	return roles;
}

/* Loads the user the token names; 0, or -1 after an error reply. */
static int
load_user(struct req *r, const char *id)
{
	const char	*params[1] = { id };
	PGresult	*res;
	struct user	*u;

	if ((res = db_exec(r, DB_READ, r->want_user_doc ? STMT_AUTH_USER_ME :
	    STMT_AUTH_USER, params)) == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		err_reply(r, ERR_UNAUTHORIZED, "Invalid or expired token");
		return -1;
	}
	u = req_alloc(r, sizeof(*u));
	u->id = req_strdup(r, PQgetvalue(res, 0, 0));
	u->username = req_strdup(r, PQgetvalue(res, 0, 1));
	u->email = req_strdup(r, PQgetvalue(res, 0, 2));
	u->display_name = PQgetisnull(res, 0, 3) ? NULL :
	    req_strdup(r, PQgetvalue(res, 0, 3));
	u->roles = parse_roles(r, PQgetvalue(res, 0, 4));
	u->banned = PQgetvalue(res, 0, 5)[0] == 't';
	u->suspended = PQgetvalue(res, 0, 6)[0] == 't';
	if (r->want_user_doc && PQnfields(res) > 7 && !PQgetisnull(res, 0, 7))
		u->doc = req_strdup(r, PQgetvalue(res, 0, 7));
	PQclear(res);
	if (u->banned || u->suspended) {
		err_reply(r, ERR_FORBIDDEN, u->banned ?
		    "This account is banned" : "This account is suspended");
		return -1;
	}
	r->user = u;
	return 0;
}

int
auth_token(struct req *r, const char *token, enum auth_level level)
{
	char	*sub = NULL;
	int	 rc;

	r->user = NULL;
	if (level == AUTH_NONE)
		return 0;
	if (token == NULL || *token == '\0') {
		if (level == AUTH_OPTIONAL)
			return 0;
		err_reply(r, ERR_UNAUTHORIZED, "Authentication required");
		return -1;
	}
	if (cfg->jwt_secret == NULL) {
		log_errorx("no JWT secret configured (MM_JWT_SECRET or "
		    "var/jwt.secret)");
		err_reply(r, ERR_UNAUTHORIZED, "Invalid or expired token");
		return -1;
	}
	if (token_verify(token, cfg->jwt_secret, time(NULL), &sub) == -1) {
		err_reply(r, ERR_UNAUTHORIZED, "Invalid or expired token");
		return -1;
	}
	rc = load_user(r, sub);
	free(sub);
	return rc;
}

int
auth_request(struct req *r, enum auth_level level)
{
	const char	*h = req_env(r, "HTTP_AUTHORIZATION");

	if (level == AUTH_NONE)
		return 0;
	if (h == NULL || *h == '\0')
		return auth_token(r, NULL, level);
	if (strncasecmp(h, "Bearer ", 7) != 0) {
		err_reply(r, ERR_UNAUTHORIZED,
		    "Authorization must be a Bearer token");
		return -1;
	}
	h += 7;
	while (*h == ' ')
		h++;
	if (*h == '\0') {
		err_reply(r, ERR_UNAUTHORIZED, "Invalid or expired token");
		return -1;
	}
	return auth_token(r, h, level);
}

int
user_has_role(const struct user *u, const char *role)
{
	char	**p;

	if (u == NULL || u->roles == NULL)
		return 0;
	for (p = u->roles; *p != NULL; p++)
		if (strcmp(*p, role) == 0)
			return 1;
	return 0;
}

int
auth_require_role(struct req *r, const char *role, const char *role2)
{
	if (r->user == NULL) {
		err_reply(r, ERR_UNAUTHORIZED, "Authentication required");
		return -1;
	}
	if (user_has_role(r->user, role) ||
	    (role2 != NULL && user_has_role(r->user, role2)))
		return 0;
	err_reply(r, ERR_FORBIDDEN, "You do not have permission for this");
	return -1;
}
