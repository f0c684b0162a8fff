/*
 * Statements of the tips binary (API §10): tips, milestones, insights and
 * progression.  Functions in sql/functions/tips.sql.  Those that answer
 * "body, events" return the response document and the milestone events
 * the call created, for the binary to publish after commit.
 */
#ifndef MM_STMT_TIPS_H
#define MM_STMT_TIPS_H

#define STMT_TIPS(X)							\
	X(TIPS_LIST, "SELECT tips_list($1, $2, $3, $4, $5, $6::integer)", 6) \
	X(TIPS_CONTEXTUAL, "SELECT tips_contextual($1, $2)", 2)	\
	X(TIPS_MARK, "SELECT tips_mark($1, $2, $3::boolean)", 3)	\
	X(INSIGHTS, "SELECT insights_for($1)", 1)			\
	X(MILESTONES_LIST,						\
	    "SELECT body, events FROM milestones_list($1)", 1)		\
	X(MILESTONES_CLAIM,						\
	    "SELECT body, events FROM milestones_claim($1, $2)", 2)	\
	X(MILESTONES_PROGRESS, "SELECT body, events FROM "		\
	    "milestones_report_progress($1, $2, $3::integer)", 3)	\
	X(MASTERY_LEVELS, "SELECT progression_mastery_levels($1, $2)", 2) \
	X(ACHIEVEMENTS,							\
	    "SELECT body, events FROM progression_achievements($1)", 1)	\
	X(PROGRESS_STATS, "SELECT progress_stats($1)", 1)

#endif
