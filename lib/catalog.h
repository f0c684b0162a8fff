/*
 * catalog: the exercise catalog held in each worker's memory.
 *
 * The catalog changes only when the reference data is re-seeded, which
 * bumps catalog_meta.version.  A worker checks that version at most once a
 * second and reloads when it moved; everything below points into the
 * current load and stays valid until the next catalog_refresh().
 */
#ifndef MM_CATALOG_H
#define MM_CATALOG_H

#include <stddef.h>

struct req;

struct muscle {
	char	*id;
	char	*group;
	double	 bias_weight;
	char	*json;		/* the §3.1 object */
};

struct activation {
	size_t	muscle;		/* index into catalog.muscles */
	int	activation;	/* percent 0..100 */
};

struct exercise {
	char			*id;
	char			*name;
	int			 difficulty;
	char			**locations;		/* NULL-terminated */
	char			**equipment_required;	/* NULL-terminated */
	char			**primary_muscles;	/* NULL-terminated */
	int			 estimated_seconds;
	int			 rest_seconds;
	int			 is_compound;
	char			*movement_pattern;	/* may be NULL */
	char			*json;			/* the §3.2 object */
	struct activation	*acts;
	size_t			 nacts;
	char			*acts_json;		/* the §3.3 document */
	char			*acts_etag;
};

struct catalog {
	long		 version;
	struct muscle	*muscles;
	size_t		 nmuscles;
	struct exercise	*exercises;	/* sorted by name */
	size_t		 nexercises;
	char		*muscles_json;	/* the §3.1 document */
	char		*muscles_etag;
	char		*exercises_json;	/* unfiltered §3.2 document */
	char		*exercises_etag;
};

/*
 * Makes sure the catalog is loaded and current.  Returns 0 when nothing
 * changed, 1 when it (re)loaded, or -1 after a 503 reply into r (r may be
 * NULL) when nothing could be loaded.  A stale
 * catalog keeps serving while the database is unreachable.
 */
int			 catalog_refresh(struct req *r);
const struct catalog	*catalog_get(void);
const struct exercise	*catalog_exercise(const char *id);
/* Index of the muscle with this id, or -1. */
long			 catalog_muscle_index(const char *id);
/* Frees the loaded catalog (tests and clean exits). */
void			 catalog_free(void);

/*
 * Writes the unfiltered documents as files under dir/api/ (atomically)
 * for nginx to serve directly; 0 or -1.
 */
int			 catalog_render_static(const char *dir);

/* 1 when list (NULL-terminated) contains s. */
int			 catalog_list_has(char *const *list, const char *s);
/* Quoted strong ETag of a body, written into out (at least 20 bytes). */
void			 catalog_etag(const char *body, size_t n, char *out);

#endif
