/* Statements of the journey binary. */
#ifndef MM_STMT_JOURNEY_H
#define MM_STMT_JOURNEY_H

#define STMT_JOURNEY(X)

#endif
