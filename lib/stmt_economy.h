/* Statements of the economy binary. */
#ifndef MM_STMT_ECONOMY_H
#define MM_STMT_ECONOMY_H

#define STMT_ECONOMY(X)

#endif
