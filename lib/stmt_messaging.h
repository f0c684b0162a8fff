/* Statements of the messaging binary. */
#ifndef MM_STMT_MESSAGING_H
#define MM_STMT_MESSAGING_H

#define STMT_MESSAGING(X)

#endif
