/*
 * Statements of the community binary and of the real-time publisher
 * (lib/realtime.c, which every binary that creates events may call).
 * Each calls a stored function of sql/functions/community.sql.
 */
#ifndef MM_STMT_COMMUNITY_H
#define MM_STMT_COMMUNITY_H

#define STMT_COMMUNITY(X)						\
	X(EVENT_CREATE, "SELECT activity_event_create($1, $2, $3::jsonb, "\
	    "$4, $5)", 5)						\
	X(RT_FILTERED_RECIPIENTS, "SELECT user_id FROM "		\
	    "realtime_filtered_recipients($1)", 1)			\
	X(RT_USER_FILTERED, "SELECT realtime_user_filtered($1)", 1)	\
	X(COMMUNITY_FEED, "SELECT community_feed($1, $2, $3::int)", 3)	\
	X(COMMUNITY_RECENT, "SELECT community_recent_events($1::int)", 1) \
	X(PRESENCE_BEAT, "SELECT presence_beat($1, $2, $3)", 3)		\
	X(PRESENCE_SUMMARY, "SELECT presence_summary()", 0)		\
	X(COMMUNITY_STATS, "SELECT community_stats($1::int)", 1)	\
	X(COMMUNITY_STATS_PUBLIC, "SELECT community_stats_public($1::int)", 1) \
	X(COMMUNITY_PERCENTILE, "SELECT community_percentile($1)", 1)	\
	X(LEADERBOARD, "SELECT community_leaderboard($1::int)", 1)	\
	X(HIGHFIVE_SEND, "SELECT highfive_send($1, $2, $3)", 3)		\
	X(HIGHFIVE_STATS, "SELECT highfive_stats($1)", 1)		\
	X(HIGHFIVE_USERS, "SELECT highfive_users($1)", 1)		\
	X(COMP_LIST, "SELECT competition_list($1)", 1)			\
	X(COMP_GET, "SELECT competition_get($1, $2)", 2)		\
	X(COMP_STANDINGS, "SELECT competition_standings($1, $2)", 2)	\
	X(COMP_CREATE, "SELECT competition_create($1, $2, $3, $4, $5, $6, "\
	    "$7::int, $8::int, $9::jsonb, $10::boolean)", 10)		\
	X(COMP_JOIN, "SELECT competition_join($1, $2)", 2)		\
	X(COMP_LEAVE, "SELECT competition_leave($1, $2)", 2)		\
	X(COMP_CANCEL, "SELECT competition_cancel($1, $2)", 2)		\
	X(GROUP_CREATE, "SELECT group_create($1, $2, $3, $4, $5::jsonb)", 5) \
	X(GROUP_LIST, "SELECT group_list($1, $2::boolean, $3, $4::int, "\
	    "$5::int)", 5)						\
	X(GROUP_GET, "SELECT group_get($1, $2)", 2)			\
	X(GROUP_UPDATE, "SELECT group_update($1, $2, $3::jsonb)", 3)	\
	X(GROUP_DELETE, "SELECT group_delete($1, $2)", 2)		\
	X(GROUP_JOIN, "SELECT group_join($1, $2)", 2)			\
	X(GROUP_INVITE, "SELECT group_invite($1, $2, $3)", 3)		\
	X(GROUP_LEAVE, "SELECT group_leave($1, $2)", 2)			\
	X(GROUP_MEMBERS, "SELECT group_members($1, $2)", 2)		\
	X(GROUP_SET_ROLE, "SELECT group_set_role($1, $2, $3, $4)", 4)	\
	X(GROUP_REMOVE, "SELECT group_remove_member($1, $2, $3)", 3)

#endif
