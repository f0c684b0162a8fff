/* Statements of the workouts binary. */
#ifndef MM_STMT_WORKOUTS_H
#define MM_STMT_WORKOUTS_H

#define STMT_WORKOUTS(X)

#endif
