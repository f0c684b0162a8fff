#include "stmt.h"

static const struct {
	const char	*name;
	const char	*sql;
	int		 nparams;
} stmts[STMT__MAX] = {
#define X(name, sql, n)	{ #name, sql, n },
	STMT_LIST(X)
#undef X
};

const char *
stmt_name(enum stmt s)
{
	return stmts[s].name;
}

const char *
stmt_sql(enum stmt s)
{
	return stmts[s].sql;
}

int
stmt_nparams(enum stmt s)
{
	return stmts[s].nparams;
}
