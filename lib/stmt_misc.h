/* Statements of the misc binary. */
#ifndef MM_STMT_MISC_H
#define MM_STMT_MISC_H

#define STMT_MISC(X)

#endif
