/* Statements of the auth binary (accounts, tokens, profiles). */
#ifndef MM_STMT_AUTH_H
#define MM_STMT_AUTH_H

#define STMT_AUTH(X)

#endif
