/*
 * Statements of the messaging binary.  Each calls a stored function of
 * sql/functions/messaging.sql.
 */
#ifndef MM_STMT_MESSAGING_H
#define MM_STMT_MESSAGING_H

#define STMT_MESSAGING(X)						\
	X(MSG_CONVERSATIONS, "SELECT messaging_conversations($1)", 1)	\
	X(MSG_CREATE, "SELECT doc, status FROM "			\
	    "messaging_create($1, $2, $3, $4)", 4)			\
	X(MSG_MESSAGES, "SELECT messaging_messages($1, $2, $3, "	\
	    "$4::int)", 4)						\
	X(MSG_SEND, "SELECT message, channels FROM "			\
	    "messaging_send($1, $2, $3, $4, $5)", 5)			\
	X(MSG_READ, "SELECT messaging_read($1, $2)", 2)			\
	X(MSG_DELETE, "SELECT conversation_id, channels FROM "		\
	    "messaging_delete($1, $2)", 2)				\
	X(MSG_BLOCK, "SELECT messaging_block($1, $2)", 2)		\
	X(MSG_UNBLOCK, "SELECT messaging_unblock($1, $2)", 2)		\
	X(MSG_ATTACH, "SELECT message, channels FROM "			\
	    "messaging_attach($1, $2, $3, $4, $5, $6, $7::int, $8, $9, "	\
	    "$10, $11)", 11)						\
	X(MSG_ATTACHMENT_FILE, "SELECT path, file_type FROM "		\
	    "messaging_attachment_file($1, $2, $3::boolean)", 3)	\
	X(MSG_ATTACHMENT_MODERATE, "SELECT "				\
	    "messaging_attachment_moderate($1, $2, $3)", 3)

#endif
