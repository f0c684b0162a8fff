/*
 * Statements of the economy binary (sql/functions/economy.sql and
 * sql/functions/billing.sql).
 */
#ifndef MM_STMT_ECONOMY_H
#define MM_STMT_ECONOMY_H

#define STMT_ECONOMY(X)							\
	X(ECONOMY_BALANCE, "SELECT economy_balance($1)", 1)		\
	X(ECONOMY_HISTORY, "SELECT economy_history($1, $2::integer, "	\
	    "$3::bigint)", 3)						\
	X(ECONOMY_ACTIONS, "SELECT economy_actions()", 0)		\
	X(ECONOMY_CHARGE, "SELECT economy_charge($1, $2, $3::integer, "	\
	    "$4, $5::jsonb)", 5)					\
	X(ECONOMY_ENTITLEMENTS, "SELECT economy_entitlements($1)", 1)	\
	X(BILLING_PRICING, "SELECT billing_pricing()", 0)		\
	X(BILLING_CHECKOUT, "SELECT billing_checkout($1, $2)", 2)	\
	X(BILLING_WEBHOOK, "SELECT billing_webhook($1::jsonb)", 1)

#endif
