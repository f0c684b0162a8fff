/* Statements of the tips binary. */
#ifndef MM_STMT_TIPS_H
#define MM_STMT_TIPS_H

#define STMT_TIPS(X)

#endif
