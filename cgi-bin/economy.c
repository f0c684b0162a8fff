/*
 * economy: credits, entitlements and billing (contract §5).
 *
 * Balances change only through update_credit_balance() in the stored
 * functions (sql/functions/economy.sql, billing.sql); whatever moves
 * credits runs SERIALIZABLE and is retried on serialization failure.
 * The Stripe webhook is verified here over the raw body before anything
 * is parsed or stored.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth.h"
#include "buf.h"
#include "cfg.h"
#include "db.h"
#include "err.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "route.h"
#include "server.h"
#include "util.h"
#include "valid.h"

#define SIG_TOLERANCE	300	/* seconds between t= and now (§5.9) */
#define SIG_MAX_V1	16	/* v1 entries looked at */

static char	*pricing;	/* the §5.4 document, loaded once */

/* GET /api/economy/balance, /api/credits/balance, /api/economy/wallet:
 * 200, 401, 403, 503. */
static void
get_balance(struct req *r)
{
	const char	*params[1] = { r->user->id };

	(void)db_reply_json(r, DB_READ, STMT_ECONOMY_BALANCE, params, 200);
}

/* GET /api/economy/history and /api/economy/transactions: 200, 400, 401,
 * 403, 503. */
static void
get_history(struct req *r)
{
	const char	*params[3];
	char		 limit_s[24], offset_s[24];
	long		 limit, offset;

	if (valid_query_int(r, "limit", 1, 100, 20, &limit) == -1 ||
	    valid_query_int(r, "offset", 0, 9007199254740991L, 0,
	    &offset) == -1)
		return;
	snprintf(limit_s, sizeof(limit_s), "%ld", limit);
	snprintf(offset_s, sizeof(offset_s), "%ld", offset);
	params[0] = r->user->id;
	params[1] = limit_s;
	params[2] = offset_s;
	(void)db_reply_json(r, DB_READ, STMT_ECONOMY_HISTORY, params, 200);
}

/* GET /api/economy/actions: 200, 503. */
static void
get_actions(struct req *r)
{
	(void)db_reply_json(r, DB_READ, STMT_ECONOMY_ACTIONS, NULL, 200);
}

/* GET /api/economy/pricing: 200, 503. */
static void
get_pricing(struct req *r)
{
	PGresult	*res;

	if (pricing == NULL) {
		if ((res = db_exec(r, DB_READ, STMT_BILLING_PRICING,
		    NULL)) == NULL)
			return;
		if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
			pricing = xstrdup(PQgetvalue(res, 0, 0));
		PQclear(res);
		if (pricing == NULL) {
			err_reply(r, ERR_INTERNAL, NULL);
			return;
		}
	}
	http_json(r, 200, pricing, strlen(pricing));
}

/* 1 when s matches ^[a-z][a-z0-9_.-]{0,63}$ (§5.6). */
static int
valid_action(const char *s)
{
	size_t	i, n = strlen(s);

	if (n < 1 || n > 64 || !(s[0] >= 'a' && s[0] <= 'z'))
		return 0;
	for (i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		    s[i] == '.' || s[i] == '-'))
			return 0;
	return 1;
}

/*
 * POST /api/economy/charge: 200 (new or existing key), 400
 * VALIDATION_ERROR, 400 INSUFFICIENT_CREDITS, 401, 403, 503.
 */
static void
post_charge(struct req *r)
{
	const cJSON	*meta;
	const char	*action, *key, *params[5];
	char		 amount_s[24], *meta_s = NULL;
	long		 amount = 0;
	int		 has_amount;

	if (valid_str(r, r->json, NULL, "action", V_REQUIRED, 1, 64,
	    &action) == -1)
		return;
	if (!valid_action(action)) {
		err_reply(r, ERR_VALIDATION, "action must match "
		    "^[a-z][a-z0-9_.-]{0,63}$");
		return;
	}
	if ((has_amount = valid_int(r, r->json, NULL, "amount", V_OPTIONAL,
	    1, 1000000, &amount)) == -1 ||
	    valid_str(r, r->json, NULL, "idempotencyKey", V_REQUIRED, 1, 128,
	    &key) == -1 ||
	    valid_object(r, r->json, NULL, "metadata", V_OPTIONAL,
	    &meta) == -1)
		return;
	snprintf(amount_s, sizeof(amount_s), "%ld", amount);
	if (meta != NULL)
		meta_s = cJSON_PrintUnformatted(meta);
	params[0] = r->user->id;
	params[1] = action;
	params[2] = has_amount ? amount_s : NULL;
	params[3] = key;
	params[4] = meta_s;
	/* Queued per user: see db_exec_queued() in lib/db.h. */
	(void)db_reply_result(r, db_exec_queued(r, r->user->id,
	    STMT_ECONOMY_CHARGE, params), 200);
	cJSON_free(meta_s);
}

/* GET /api/entitlements and /api/me/entitlements: 200, 401, 403, 503. */
static void
get_entitlements(struct req *r)
{
	const char	*params[1] = { r->user->id };

	(void)db_reply_json(r, DB_READ, STMT_ECONOMY_ENTITLEMENTS, params,
	    200);
}

/* POST /api/billing/checkout: 201, 400 (unknown tier), 401, 403, 503. */
static void
post_checkout(struct req *r)
{
	const char	*tier, *params[2];

	if (valid_str(r, r->json, NULL, "tierId", V_REQUIRED, 1, 64,
	    &tier) == -1)
		return;
	params[0] = r->user->id;
	params[1] = tier;
	(void)db_reply_json(r, DB_READ, STMT_BILLING_CHECKOUT, params, 201);
}

/* Lowercase hex HMAC-SHA256(secret, t "." body) into out (65 bytes). */
static void
stripe_hmac(const char *secret, const char *t, const char *body,
    size_t body_len, char out[65])
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 mac[EVP_MAX_MD_SIZE];
	unsigned int		 maclen = 0, i;
	struct buf		 msg = { 0 };

	buf_puts(&msg, t);
	buf_putc(&msg, '.');
	buf_add(&msg, body, body_len);
	HMAC(EVP_sha256(), secret, (int)strlen(secret),
	    (const unsigned char *)msg.s, msg.len, mac, &maclen);
	buf_free(&msg);
	for (i = 0; i < maclen && i < 32; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 0x0f];
	}
	out[64] = '\0';
}

/*
 * Checks the Stripe-Signature header, "t=<unix>,v1=<hex>[,v1=<hex>...]"
 * (other schemes such as v0 are ignored), against the raw body.  Valid
 * when some v1 equals the expected MAC (compared in constant time) and t
 * is within SIG_TOLERANCE of now.  Returns 0, or -1 after a 400 reply.
 */
static int
verify_signature(struct req *r, const char *secret)
{
	const char	*hdr = req_env(r, "HTTP_STRIPE_SIGNATURE");
	const char	*t = NULL, *v1[SIG_MAX_V1];
	char		*copy, *item, *save = NULL, expected[65];
	long long	 ts = 0;
	size_t		 nv1 = 0, i;
	int		 match = 0;

	if (hdr == NULL || *hdr == '\0') {
		err_reply(r, ERR_VALIDATION, "Missing Stripe-Signature header");
		return -1;
	}
	copy = req_strdup(r, hdr);
	for (item = strtok_r(copy, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		while (*item == ' ' || *item == '\t')
			item++;
		if (strncmp(item, "t=", 2) == 0 && t == NULL) {
			t = item + 2;
			if (*t == '\0' || strlen(t) > 15 ||
			    strspn(t, "0123456789") != strlen(t))
				goto malformed;
			ts = strtoll(t, NULL, 10);
		} else if (strncmp(item, "v1=", 3) == 0 && nv1 < SIG_MAX_V1)
			v1[nv1++] = item + 3;
	}
	if (t == NULL || nv1 == 0)
		goto malformed;

	stripe_hmac(secret, t, r->body, r->body_len, expected);
	for (i = 0; i < nv1; i++)
		if (strlen(v1[i]) == 64 && util_ct_equal(v1[i], expected, 64))
			match = 1;
	if (!match) {
		err_reply(r, ERR_VALIDATION, "No valid signature in "
		    "Stripe-Signature");
		return -1;
	}
	if (llabs((long long)time(NULL) - ts) > SIG_TOLERANCE) {
		err_reply(r, ERR_VALIDATION, "Stripe-Signature timestamp is "
		    "outside the tolerance");
		return -1;
	}
	return 0;
malformed:
	err_reply(r, ERR_VALIDATION, "Malformed Stripe-Signature header");
	return -1;
}

/*
 * POST /api/billing/webhook: 200 {"received":true} for every valid event
 * (also unknown types and references, and redeliveries), 400 (signature
 * or body), 503 (secret unset, database).  The route takes the raw body:
 * it is verified first and parsed only afterwards.
 */
static void
post_webhook(struct req *r)
{
	const char	*secret = cfg->stripe_webhook_secret;
	const char	*params[1];
	cJSON		*ev;

	if (secret == NULL || *secret == '\0') {
		err_reply(r, ERR_SERVICE_UNAVAILABLE, "Webhooks are not "
		    "configured");
		return;
	}
	if (verify_signature(r, secret) == -1)
		return;
	if (r->body_len == 0 || memchr(r->body, '\0', r->body_len) != NULL ||
	    !utf8_valid(r->body, r->body_len)) {
		err_reply(r, ERR_VALIDATION, "The event must be a JSON object");
		return;
	}
	ev = cJSON_ParseWithLength(r->body, r->body_len);
	if (!cJSON_IsObject(ev)) {
		cJSON_Delete(ev);
		err_reply(r, ERR_VALIDATION, "The event must be a JSON object");
		return;
	}
	cJSON_Delete(ev);
	params[0] = r->body;
	(void)db_reply_json(r, DB_SERIALIZABLE, STMT_BILLING_WEBHOOK, params,
	    200);
}

static const struct route routes[] = {
	{ "GET", "/api/economy/balance", get_balance, R_AUTH_REQUIRED },
	{ "GET", "/api/credits/balance", get_balance, R_AUTH_REQUIRED },
	{ "GET", "/api/economy/wallet", get_balance, R_AUTH_REQUIRED },
	{ "GET", "/api/economy/history", get_history, R_AUTH_REQUIRED },
	{ "GET", "/api/economy/transactions", get_history, R_AUTH_REQUIRED },
	{ "GET", "/api/economy/actions", get_actions, 0 },
	{ "GET", "/api/economy/pricing", get_pricing, 0 },
	{ "POST", "/api/economy/charge", post_charge,
	  R_AUTH_REQUIRED | R_BODY },
	{ "GET", "/api/entitlements", get_entitlements, R_AUTH_REQUIRED },
	{ "GET", "/api/me/entitlements", get_entitlements, R_AUTH_REQUIRED },
	{ "POST", "/api/billing/checkout", post_checkout,
	  R_AUTH_REQUIRED | R_BODY },
	{ "POST", "/api/billing/webhook", post_webhook, 0 },
};

static const struct app app = {
	"economy", routes, sizeof(routes) / sizeof(routes[0]), NULL,
};

int
main(int argc, char **argv)
{
	return server_main(&app, argc, argv);
}
