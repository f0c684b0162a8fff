/*
 * auth: accounts, sessions and profiles (contract §2).
 *
 * Passwords are hashed here with PBKDF2 (lib/password.c) before anything
 * reaches the database; access tokens are HS256 JWTs (lib/token.c);
 * refresh tokens are 256-bit random values of which only the SHA-256 is
 * stored, rotated on every use.  Every write runs in one stored function
 * (sql/functions/users.sql).  Passwords, hashes and tokens never go to a
 * log line or an error message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cJSON.h>
#include <libpq-fe.h>

#include "auth.h"
#include "buf.h"
#include "cfg.h"
#include "db.h"
#include "err.h"
#include "http.h"
#include "log.h"
#include "password.h"
#include "route.h"
#include "server.h"
#include "token.h"
#include "util.h"
#include "valid.h"

#define REFRESH_BYTES	32	/* 256-bit refresh tokens */
#define TOKEN_MAX	1024	/* longest refreshToken in a body */
#define LOGIN_PW_MAX	1024	/* longer login passwords are a 400 */

#define BAD_LOGIN	"Invalid email or password"
#define BAD_REFRESH	"Invalid or expired refresh token"

/* Capabilities every signed-in user has (contract §2.7). */
static const char *const base_caps[] = {
	"users.read", "economy.read", "workouts.create", "workouts.read",
	"profile.update", "economy.spend", "journey.read", "journey.update",
	"prescriptions.create", "community.read", "community.participate",
	"messaging.use", "settings.update",
};

/* A new refresh token (hex) and the SHA-256 hex that is stored. */
struct refresh {
	char	token[2 * REFRESH_BYTES + 1];
	char	hash[65];
};

static void
refresh_new(struct refresh *rt)
{
	util_random_hex(rt->token, REFRESH_BYTES);
	util_sha256_hex(rt->token, strlen(rt->token), rt->hash);
}

/* Access tokens need the signing key; 0, or -1 after a 503 reply. */
static int
have_secret(struct req *r)
{
	if (cfg->jwt_secret != NULL)
		return 0;
	log_errorx("no JWT secret configured (MM_JWT_SECRET or "
	    "var/jwt.secret)");
	err_reply(r, ERR_SERVICE_UNAVAILABLE, "Sign-in is not available");
	return -1;
}

/*
 * Answers status with a new session: {"user"?,"token","refreshToken",
 * "expiresIn"}; user_json is NULL for a refresh.
 */
static void
reply_session(struct req *r, int status, const char *user_id,
    const char *user_json, const char *refresh_token)
{
	struct buf	 b = { 0 };
	char		*jwt;

	jwt = token_sign(user_id, cfg->jwt_secret, time(NULL), cfg->jwt_ttl);
	if (jwt == NULL) {
		log_errorx("could not sign an access token");
		err_reply(r, ERR_INTERNAL, NULL);
		return;
	}
	buf_putc(&b, '{');
	if (user_json != NULL) {
		buf_puts(&b, "\"user\":");
		buf_puts(&b, user_json);
		buf_putc(&b, ',');
	}
	buf_puts(&b, "\"token\":");
	buf_json_str(&b, jwt);
	buf_puts(&b, ",\"refreshToken\":");
	buf_json_str(&b, refresh_token);
	buf_printf(&b, ",\"expiresIn\":%d}", cfg->jwt_ttl);
	free(jwt);
	http_header(r, "Cache-Control", "no-store");
	http_json_buf(r, status, &b);
}

static int
is_alnum(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9');
}

/*
 * The contract's email rule,
 * ^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$, written out: the
 * top-level part is what follows the last dot, since it holds no dot.
 */
static int
valid_email(const char *s)
{
	const char	*at = strchr(s, '@'), *dot, *p;

	if (at == NULL || at == s)
		return 0;
	for (p = s; p < at; p++)
		if (!is_alnum((unsigned char)*p) && strchr("._%+-", *p) == NULL)
			return 0;
	if ((dot = strrchr(at + 1, '.')) == NULL || dot == at + 1 ||
	    strlen(dot + 1) < 2)
		return 0;
	for (p = at + 1; p < dot; p++)
		if (!is_alnum((unsigned char)*p) && *p != '.' && *p != '-')
			return 0;
	for (p = dot + 1; *p != '\0'; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
			return 0;
	return 1;
}

static int
valid_username(const char *s)
{
	for (; *s != '\0'; s++)
		if (!is_alnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

/*
 * An absolute http:// or https:// URL: the scheme (any case), a non-empty
 * host part, and no white space or control characters.
 */
static int
valid_http_url(const char *s)
{
	const char	*p;
	size_t		 n;

	if (strncasecmp(s, "http://", 7) == 0)
		p = s + 7;
	else if (strncasecmp(s, "https://", 8) == 0)
		p = s + 8;
	else
		return 0;
	n = strcspn(p, "/?#");
	if (n == 0 || p[0] == '@' || p[0] == ':')
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* Reads the body's refreshToken; 0, or -1 after a 400 reply. */
static int
body_refresh_token(struct req *r, const char **token)
{
	return valid_str(r, r->json, NULL, "refreshToken", V_REQUIRED, 1,
	    TOKEN_MAX, token) == 1 ? 0 : -1;
}

/* POST /api/auth/register: 201, 400, 409, 429, 503. */
static void
post_register(struct req *r)
{
	const char	*email, *username, *password, *display;
	const char	*params[6];
	char		 ttl[16], *hash, *lower;
	struct refresh	 rt;
	PGresult	*res;
	size_t		 i;

	if (valid_str(r, r->json, NULL, "email", V_REQUIRED, 1, 254,
	    &email) == -1)
		return;
	if (!valid_email(email)) {
		err_reply(r, ERR_VALIDATION, "email must be a valid email "
		    "address");
		return;
	}
	if (valid_str(r, r->json, NULL, "username", V_REQUIRED, 3, 30,
	    &username) == -1)
		return;
	if (!valid_username(username)) {
		err_reply(r, ERR_VALIDATION, "username may only contain "
		    "letters, digits and underscores");
		return;
	}
	if (valid_str(r, r->json, NULL, "password", V_REQUIRED, 8, 128,
	    &password) == -1 ||
	    valid_str(r, r->json, NULL, "displayName", V_OPTIONAL, 1, 100,
	    &display) == -1)
		return;
	if (have_secret(r) == -1)
		return;

	lower = req_strdup(r, email);
	for (i = 0; lower[i] != '\0'; i++)
		if (lower[i] >= 'A' && lower[i] <= 'Z')
			lower[i] = (char)(lower[i] - 'A' + 'a');
	if ((hash = password_hash(password, cfg->pbkdf2_iterations)) == NULL) {
		log_errorx("password hashing failed");
		err_reply(r, ERR_INTERNAL, NULL);
		return;
	}
	req_own(r, hash);
	refresh_new(&rt);
	snprintf(ttl, sizeof(ttl), "%d", cfg->refresh_ttl);
	params[0] = lower;
	params[1] = username;
	params[2] = display;
	params[3] = hash;
	params[4] = rt.hash;
	params[5] = ttl;
	if ((res = db_exec(r, DB_SERIALIZABLE, STMT_USERS_REGISTER,
	    params)) == NULL)
		return;
	if (PQntuples(res) != 1) {
		PQclear(res);
		err_reply(r, ERR_INTERNAL, NULL);
		return;
	}
	reply_session(r, 201, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
	    rt.token);
	PQclear(res);
}

/*
 * POST /api/auth/login: 200, 400, 401 (unknown email or wrong password,
 * one message), 403 (banned or suspended), 429, 503.
 */
static void
post_login(struct req *r)
{
	const char	*email, *password, *params[5];
	char		 ttl[16], *id, *stored, *fresh = NULL;
	struct refresh	 rt;
	PGresult	*res;
	int		 banned, suspended, ok;

	if (valid_str(r, r->json, NULL, "email", V_REQUIRED, 1, 254,
	    &email) == -1 ||
	    valid_str(r, r->json, NULL, "password", V_REQUIRED, 1,
	    LOGIN_PW_MAX, &password) == -1)
		return;
	if (have_secret(r) == -1)
		return;
	params[0] = email;
	if ((res = db_exec(r, DB_READ, STMT_USERS_LOGIN_LOOKUP,
	    params)) == NULL)
		return;
	if (PQntuples(res) != 1) {
		PQclear(res);
		/* Cost the same as a wrong password for a known email. */
		password_dummy(password, cfg->pbkdf2_iterations);
		err_reply(r, ERR_UNAUTHORIZED, BAD_LOGIN);
		return;
	}
	id = req_strdup(r, PQgetvalue(res, 0, 0));
	stored = req_strdup(r, PQgetvalue(res, 0, 1));
	banned = PQgetvalue(res, 0, 2)[0] == 't';
	suspended = PQgetvalue(res, 0, 3)[0] == 't';
	PQclear(res);

	if ((ok = password_verify(password, stored)) == -1) {
		log_warnx("user %s has a malformed password hash", id);
		password_dummy(password, cfg->pbkdf2_iterations);
	}
	if (ok != 1) {
		err_reply(r, ERR_UNAUTHORIZED, BAD_LOGIN);
		return;
	}
	if (banned || suspended) {
		err_reply(r, ERR_FORBIDDEN, banned ? "This account is banned" :
		    "This account is suspended");
		return;
	}

	/* A hash made with a lower cost than configured is replaced. */
	if (password_needs_rehash(stored, cfg->pbkdf2_iterations) &&
	    (fresh = password_hash(password, cfg->pbkdf2_iterations)) != NULL)
		req_own(r, fresh);
	refresh_new(&rt);
	snprintf(ttl, sizeof(ttl), "%d", cfg->refresh_ttl);
	params[0] = id;
	params[1] = rt.hash;
	params[2] = ttl;
	params[3] = stored;
	params[4] = fresh;
	if ((res = db_exec(r, DB_SERIALIZABLE, STMT_USERS_LOGIN_ISSUE,
	    params)) == NULL)
		return;
	reply_session(r, 200, id, PQgetvalue(res, 0, 0), rt.token);
	PQclear(res);
}

/*
 * POST /api/auth/refresh: 200, 400, 401 (unknown, expired, revoked or
 * reused token; a reuse also revokes all of the user's tokens), 403, 429,
 * 503.
 */
static void
post_refresh(struct req *r)
{
	const char	*token, *params[3];
	char		 ttl[16], hash[65];
	struct refresh	 rt;
	PGresult	*res;
	const char	*status;

	if (body_refresh_token(r, &token) == -1 || have_secret(r) == -1)
		return;
	util_sha256_hex(token, strlen(token), hash);
	refresh_new(&rt);
	snprintf(ttl, sizeof(ttl), "%d", cfg->refresh_ttl);
	params[0] = hash;
	params[1] = rt.hash;
	params[2] = ttl;
	if ((res = db_exec(r, DB_SERIALIZABLE, STMT_USERS_REFRESH,
	    params)) == NULL)
		return;
	status = PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "invalid";
	if (strcmp(status, "ok") == 0)
		reply_session(r, 200, PQgetvalue(res, 0, 1), NULL, rt.token);
	else {
		if (strcmp(status, "reused") == 0)
			log_warnx("a revoked refresh token of user %s was "
			    "presented: all its refresh tokens are revoked",
			    PQgetvalue(res, 0, 1));
		err_reply(r, ERR_UNAUTHORIZED, BAD_REFRESH);
	}
	PQclear(res);
}

/* POST /api/auth/logout: 200 (also for unknown tokens), 400, 503. */
static void
post_logout(struct req *r)
{
	const char	*token, *params[1];
	char		 hash[65];
	PGresult	*res;

	if (body_refresh_token(r, &token) == -1)
		return;
	util_sha256_hex(token, strlen(token), hash);
	params[0] = hash;
	if ((res = db_exec(r, DB_READ, STMT_USERS_LOGOUT, params)) == NULL)
		return;
	PQclear(res);
	http_json(r, 200, "{\"success\":true}", 16);
}

/*
 * GET /api/auth/me: 200, 401, 403, 503.  The route's R_AUTH_DOC flag has
 * the authentication step read the document with the user, so the
 * answer costs one round trip.
 */
static void
get_me(struct req *r)
{
	const char	*params[1] = { r->user->id };

	if (r->user->doc != NULL)
		http_json(r, 200, r->user->doc, strlen(r->user->doc));
	else
		(void)db_reply_json(r, DB_READ, STMT_USERS_ME, params, 200);
}

/* GET /api/auth/me/capabilities: 200, 401, 403. */
static void
get_capabilities(struct req *r)
{
	struct buf	b = { 0 };
	size_t		i;

	buf_puts(&b, "{\"capabilities\":[");
	for (i = 0; i < sizeof(base_caps) / sizeof(base_caps[0]); i++) {
		if (i > 0)
			buf_putc(&b, ',');
		buf_json_str(&b, base_caps[i]);
	}
	if (user_has_role(r->user, "admin"))
		buf_puts(&b, ",\"admin.*\"");
	if (user_has_role(r->user, "moderator"))
		buf_puts(&b, ",\"moderation.*\"");
	buf_puts(&b, "]}");
	http_json_buf(r, 200, &b);
}

/* GET /api/auth/profile and GET /api/profile: 200, 401, 403, 503. */
static void
get_profile(struct req *r)
{
	const char	*params[1] = { r->user->id };

	(void)db_reply_json(r, DB_READ, STMT_USERS_PROFILE, params, 200);
}

/*
 * PUT /api/profile: 200, 400 (neither field sent, or a bad value), 401,
 * 403, 503.  A field sent as null is cleared; other fields are ignored.
 */
static void
put_profile(struct req *r)
{
	const cJSON	*dn, *av;
	const char	*display = NULL, *avatar = NULL, *params[5];

	dn = cJSON_GetObjectItemCaseSensitive(r->json, "displayName");
	av = cJSON_GetObjectItemCaseSensitive(r->json, "avatarUrl");
	if (dn == NULL && av == NULL) {
		err_reply(r, ERR_VALIDATION, "Send displayName or avatarUrl "
		    "(or both)");
		return;
	}
	if (dn != NULL && !cJSON_IsNull(dn) &&
	    valid_str(r, r->json, NULL, "displayName", V_REQUIRED, 1, 100,
	    &display) == -1)
		return;
	if (av != NULL && !cJSON_IsNull(av)) {
		if (valid_str(r, r->json, NULL, "avatarUrl", V_REQUIRED, 1,
		    2048, &avatar) == -1)
			return;
		if (!valid_http_url(avatar)) {
			err_reply(r, ERR_VALIDATION, "avatarUrl must be an "
			    "http:// or https:// URL");
			return;
		}
	}
	params[0] = r->user->id;
	params[1] = dn != NULL ? "true" : "false";
	params[2] = display;
	params[3] = av != NULL ? "true" : "false";
	params[4] = avatar;
	(void)db_reply_json(r, DB_READ, STMT_USERS_PROFILE_UPDATE, params,
	    200);
}

static const struct route routes[] = {
	{ "POST", "/api/auth/register", post_register,
	  R_BODY | R_AUTH_LIMIT },
	{ "POST", "/api/auth/login", post_login, R_BODY | R_AUTH_LIMIT },
	{ "POST", "/api/auth/refresh", post_refresh, R_BODY | R_AUTH_LIMIT },
	{ "POST", "/api/auth/logout", post_logout, R_BODY },
	{ "GET", "/api/auth/me", get_me, R_AUTH_REQUIRED | R_AUTH_DOC },
	{ "GET", "/api/auth/me/capabilities", get_capabilities,
	  R_AUTH_REQUIRED },
	{ "GET", "/api/auth/profile", get_profile, R_AUTH_REQUIRED },
	{ "GET", "/api/profile", get_profile, R_AUTH_REQUIRED },
	{ "PUT", "/api/profile", put_profile, R_AUTH_REQUIRED | R_BODY },
};

static const struct app app = {
	"auth", routes, sizeof(routes) / sizeof(routes[0]), NULL,
};

int
main(int argc, char **argv)
{
	return server_main(&app, argc, argv);
}
