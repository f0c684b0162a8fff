#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>

#include "redact.h"

/* Compared against the key with '-', '_' and '.' removed, lower case. */
static const char *const secret_words[] = {
	"password", "passwd", "passphrase", "secret", "token",
	"authorization", "cookie", "apikey", "accesskey", "session",
	"credential", "privatekey", "signature", "cardnumber", "creditcard",
	"cvc", "cvv", "jwt", "bearer",
};

/* Query or form parameters whose value is a credential. */
static const char *const secret_params[] = {
	"token=", "access_token=", "refresh_token=", "id_token=",
	"password=", "passwd=", "secret=", "api_key=", "apikey=", "key=",
	"auth=", "session=", "sig=", "signature=", "code=",
};

int
redact_key_is_secret(const char *key)
{
	char	norm[128];
	size_t	i, n = 0;

	if (key == NULL)
		return 0;
	for (i = 0; key[i] != '\0' && n + 1 < sizeof(norm); i++) {
		if (key[i] == '-' || key[i] == '_' || key[i] == '.' ||
		    key[i] == ' ')
			continue;
		norm[n++] = (char)tolower((unsigned char)key[i]);
	}
	norm[n] = '\0';
	for (i = 0; i < sizeof(secret_words) / sizeof(secret_words[0]); i++)
		if (strstr(norm, secret_words[i]) != NULL)
			return 1;
	return 0;
}

static int
is_b64url(int c)
{
	return isalnum(c) || c == '-' || c == '_';
}

/* A run of at least min base64url characters starting at s. */
static size_t
b64_run(const char *s)
{
	size_t	n = 0;

	while (is_b64url((unsigned char)s[n]))
		n++;
	return n;
}

/* "eyJ<b64>.<b64>.<b64?>" somewhere in s: a JSON Web Token. */
static int
has_jwt(const char *s)
{
	const char	*p = s, *q;
	size_t		 a, b;

	while ((p = strstr(p, "eyJ")) != NULL) {
		a = b64_run(p);
		q = p + a;
		if (a >= 10 && *q == '.') {
			b = b64_run(q + 1);
			if (b >= 10 && q[1 + b] == '.')
				return 1;
		}
		p += 3;
	}
	return 0;
}

/* "<scheme> <credential>": the scheme word, a space, 8+ token chars. */
static int
has_scheme(const char *s, const char *scheme)
{
	size_t	n = strlen(scheme), k;

	for (; *s != '\0'; s++) {
		if (strncasecmp(s, scheme, n) != 0 || s[n] != ' ')
			continue;
		for (k = 0; is_b64url((unsigned char)s[n + 1 + k]) ||
		    s[n + 1 + k] == '.' || s[n + 1 + k] == '+' ||
		    s[n + 1 + k] == '/' || s[n + 1 + k] == '='; k++)
			;
		if (k >= 8)
			return 1;
	}
	return 0;
}

int
redact_value_is_secret(const char *v)
{
	size_t	i;

	if (v == NULL)
		return 0;
	if (has_jwt(v) || has_scheme(v, "bearer") || has_scheme(v, "basic"))
		return 1;
	for (i = 0; i < sizeof(secret_params) / sizeof(secret_params[0]);
	    i++) {
		const char	*p = v;
		size_t		 n = strlen(secret_params[i]);

		/* A parameter starts the text or follows ?, &, ; or space. */
		for (; (p = strcasestr(p, secret_params[i])) != NULL; p += n)
			if (p == v || p[-1] == '?' || p[-1] == '&' ||
			    p[-1] == ';' || p[-1] == ' ' || p[-1] == '#')
				return 1;
	}
	return 0;
}

/* Puts the mark in c's place, keeping its key; returns the new item. */
static cJSON *
replace(cJSON *parent, cJSON *c)
{
	cJSON	*repl = cJSON_CreateString(REDACT_MARK);
	size_t	 n;

	if (c->string != NULL) {
		n = strlen(c->string) + 1;
		repl->string = cJSON_malloc(n);
		memcpy(repl->string, c->string, n);
	}
	cJSON_ReplaceItemViaPointer(parent, c, repl);
	return repl;
}

int
redact_json(cJSON *node)
{
	cJSON	*c;
	int	 n = 0;

	if (node == NULL)
		return 0;
	for (c = node->child; c != NULL; c = c->next) {
		if (cJSON_IsString(c) && strcmp(c->valuestring,
		    REDACT_MARK) == 0)
			continue;
		if ((cJSON_IsObject(node) && !cJSON_IsNull(c) &&
		    redact_key_is_secret(c->string)) ||
		    (cJSON_IsString(c) &&
		    redact_value_is_secret(c->valuestring))) {
			c = replace(node, c);
			n++;
		} else if (cJSON_IsObject(c) || cJSON_IsArray(c))
			n += redact_json(c);
	}
	return n;
}
