/* Statements of the community binary. */
#ifndef MM_STMT_COMMUNITY_H
#define MM_STMT_COMMUNITY_H

#define STMT_COMMUNITY(X)

#endif
