/*
 * mem: allocation wrappers that never return NULL.
 *
 * Running out of memory in a worker is not something a request can recover
 * from, so these log and abort; the master process forks a fresh worker.
 */
#ifndef MM_MEM_H
#define MM_MEM_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
/* Returns a newly allocated formatted string; the caller frees it. */
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif
