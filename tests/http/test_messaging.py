"""Messaging (contract §9) and its live streams (§8): conversations,
messages, read markers, soft delete, blocks, and delivery over
/api/messaging/ws and /api/messaging/events."""
import json
import time

import mm
from test_realtime import Stream

CONV_KEYS = {"id", "type", "name", "participants", "lastMessage", "unreadCount",
             "lastMessageAt", "createdAt"}
MSG_KEYS = {"id", "conversationId", "senderId", "content", "contentType", "replyToId",
            "editedAt", "attachments", "createdAt"}
PART_KEYS = {"userId", "username", "displayName", "avatarUrl", "role"}


def users(n):
    return [mm.create_user() for _ in range(n)]


def direct(a, b):
    r = mm.Client(a[1]).post("/api/messaging/conversations",
                             {"type": "direct", "participantIds": [b[0]]})
    mm.check(r.status in (200, 201), "direct conversation: %r" % r)
    return r.json["id"]


def send(user, conv, content="hello", **extra):
    body = {"content": content}
    body.update(extra)
    return mm.Client(user[1]).post("/api/messaging/conversations/%s/messages" % conv, body)


# ------------------------------------------------------------ create


def test_create_direct_then_existing():
    a, b = users(2)
    r = mm.Client(a[1]).post("/api/messaging/conversations",
                             {"participantIds": [b[0], a[0]]})
    mm.status(r, 201)
    c = r.json
    mm.eq(set(c) >= {"id", "type", "name", "participants", "createdAt", "existing"}, True, "keys")
    mm.check(c["id"].startswith("conv_") and len(c["id"]) == 37, "conv id format")
    mm.eq(c["type"], "direct", "type")
    mm.eq(c["name"], None, "name")
    mm.eq(c["existing"], False, "existing")
    roles = {p["userId"]: p["role"] for p in c["participants"]}
    mm.eq(roles, {a[0]: "owner", b[0]: "member"}, "roles")
    for p in c["participants"]:
        mm.eq(set(p), PART_KEYS, "participant keys")
    # Either side finds the same conversation.
    r2 = mm.Client(b[1]).post("/api/messaging/conversations",
                              {"type": "direct", "participantIds": [a[0]]})
    mm.status(r2, 200)
    mm.eq(r2.json["id"], c["id"], "same conversation")
    mm.eq(r2.json["existing"], True, "existing")


def test_create_direct_concurrently_makes_one():
    a, b = users(2)
    res = mm.parallel(8, lambda i: mm.Client((a, b)[i % 2][1]).post(
        "/api/messaging/conversations",
        {"type": "direct", "participantIds": [(b, a)[i % 2][0]]}))
    ids = {r.json["id"] for r in res}
    mm.eq(len(ids), 1, "one conversation")
    mm.eq(sorted(r.status for r in res), [200] * 7 + [201], "one 201")
    n = mm.psql("SELECT count(*) FROM conversation_participants WHERE conversation_id = :'p1'",
                ids.pop())
    mm.eq(n[0][0], "2", "two participants")


def test_create_validation():
    a, b, c = users(3)
    cl = mm.Client(a[1])
    url = "/api/messaging/conversations"
    mm.error(cl.post(url, {"participantIds": []}), "VALIDATION_ERROR", 400)
    mm.error(cl.post(url, {"participantIds": [b[0], c[0]]}), "VALIDATION_ERROR", 400)
    mm.error(cl.post(url, {"participantIds": [a[0]]}), "VALIDATION_ERROR", 400)
    mm.error(cl.post(url, {"participantIds": ["user_" + "0" * 32]}), "VALIDATION_ERROR", 400)
    mm.error(cl.post(url, {"participantIds": [1]}), "VALIDATION_ERROR", 400)
    mm.error(cl.post(url, {"participantIds": b[0]}), "VALIDATION_ERROR", 400)
    mm.error(cl.post(url, {"type": "channel", "participantIds": [b[0]]}), "VALIDATION_ERROR", 400)
    mm.error(cl.post(url, {"type": "group", "participantIds": [b[0], c[0]]}),
             "VALIDATION_ERROR", 400)
    mm.error(cl.post(url, {"type": "group", "name": "", "participantIds": [b[0], c[0]]}),
             "VALIDATION_ERROR", 400)
    mm.error(cl.post(url, {"type": "group", "name": "x" * 101, "participantIds": [b[0], c[0]]}),
             "VALIDATION_ERROR", 400)
    mm.error(cl.post(url, {"type": "group", "name": "g", "participantIds": [b[0], a[0]]}),
             "VALIDATION_ERROR", 400)
    mm.error(cl.post(url, {"type": "group", "name": "g",
                           "participantIds": [b[0], "user_" + "0" * 32]}), "VALIDATION_ERROR", 400)
    mm.error(cl.post(url, [b[0]]), "VALIDATION_ERROR", 400)
    mm.error(mm.Client().post(url, {"participantIds": [b[0]]}), "UNAUTHORIZED", 401)


def test_create_group():
    a, b, c = users(3)
    r = mm.Client(a[1]).post("/api/messaging/conversations",
                             {"type": "group", "name": "Leg day ✓",
                              "participantIds": [b[0], c[0], a[0], b[0]]})
    mm.status(r, 201)
    mm.eq(r.json["type"], "group", "type")
    mm.eq(r.json["name"], "Leg day ✓", "name")
    mm.eq(r.json["existing"], False, "existing")
    roles = {p["userId"]: p["role"] for p in r.json["participants"]}
    mm.eq(roles, {a[0]: "owner", b[0]: "member", c[0]: "member"}, "roles")
    # A second group with the same people is a new conversation.
    r2 = mm.Client(a[1]).post("/api/messaging/conversations",
                              {"type": "group", "name": "again", "participantIds": [b[0], c[0]]})
    mm.status(r2, 201)
    mm.check(r2.json["id"] != r.json["id"], "new group")


def test_group_participant_limit():
    a = mm.create_user()
    others = users(51)
    url = "/api/messaging/conversations"
    r = mm.Client(a[1]).post(url, {"type": "group", "name": "big",
                                   "participantIds": [u[0] for u in others]})
    mm.error(r, "VALIDATION_ERROR", 400)
    r = mm.Client(a[1]).post(url, {"type": "group", "name": "big",
                                   "participantIds": [u[0] for u in others[:50]]})
    mm.status(r, 201)
    mm.eq(len(r.json["participants"]), 51, "50 others and the owner")


# ------------------------------------------------------------ messages


def test_send_and_list_messages():
    a, b = users(2)
    conv = direct(a, b)
    r = send(a, conv, "<b>hi</b>'; DROP TABLE messages; --")
    mm.status(r, 201)
    m = r.json
    mm.eq(set(m), MSG_KEYS, "message keys")
    mm.check(m["id"].startswith("msg_") and len(m["id"]) == 36, "msg id format")
    mm.eq(m["conversationId"], conv, "conversationId")
    mm.eq(m["senderId"], a[0], "senderId")
    mm.eq(m["content"], "<b>hi</b>'; DROP TABLE messages; --", "content verbatim")
    mm.eq(m["contentType"], "text", "default contentType")
    mm.eq(m["replyToId"], None, "replyToId")
    mm.eq(m["editedAt"], None, "editedAt")
    mm.eq(m["attachments"], [], "attachments")
    mm.check(m["createdAt"].endswith("Z"), "createdAt")
    r = send(b, conv, "x" * 4000, contentType="file", replyToId=m["id"])
    mm.status(r, 201)
    mm.eq(r.json["replyToId"], m["id"], "replyToId")
    mm.eq(r.json["contentType"], "file", "contentType")
    r = mm.Client(b[1]).get("/api/messaging/conversations/%s/messages" % conv)
    mm.status(r, 200)
    mm.eq(set(r.json), {"messages", "nextCursor"}, "keys")
    mm.eq([x["senderId"] for x in r.json["messages"]], [b[0], a[0]], "newest first")
    mm.eq(r.json["messages"][1], m, "same object as the send reply")
    mm.eq(r.json["nextCursor"], None, "no more")
    row = mm.psql("SELECT last_message_at = (SELECT max(created_at) FROM messages "
                  "WHERE conversation_id = :'p1') FROM conversations WHERE id = :'p1'", conv)
    mm.eq(row[0][0], "t", "last_message_at follows the newest message")


def test_send_validation():
    a, b, c = users(3)
    conv = direct(a, b)
    other = direct(a, c)
    foreign = send(a, other, "elsewhere").json["id"]
    cl = mm.Client(a[1])
    url = "/api/messaging/conversations/%s/messages" % conv
    mm.error(cl.post(url, {"content": ""}), "VALIDATION_ERROR", 400)
    mm.error(cl.post(url, {"content": "x" * 4001}), "VALIDATION_ERROR", 400)
    mm.error(cl.post(url, {}), "VALIDATION_ERROR", 400)
    mm.error(cl.post(url, {"content": 5}), "VALIDATION_ERROR", 400)
    mm.error(cl.post(url, {"content": "a", "contentType": "system"}), "VALIDATION_ERROR", 400)
    mm.error(cl.post(url, {"content": "a", "replyToId": foreign}), "VALIDATION_ERROR", 400)
    mm.error(cl.post(url, {"content": "a", "replyToId": "msg_" + "0" * 32}),
             "VALIDATION_ERROR", 400)
    mm.status(cl.post(url, {"content": "é" * 4000}), 201)
    mm.error(mm.Client().post(url, {"content": "a"}), "UNAUTHORIZED", 401)


def test_cursor_pagination():
    a, b = users(2)
    conv = direct(a, b)
    sent = [send(a if i % 2 else b, conv, "m%d" % i).json["id"] for i in range(7)]
    url = "/api/messaging/conversations/%s/messages" % conv
    cl = mm.Client(a[1])
    got, before = [], None
    while True:
        r = cl.get(url + "?limit=3" + ("&before=" + before if before else ""))
        mm.status(r, 200)
        got += [m["id"] for m in r.json["messages"]]
        before = r.json["nextCursor"]
        if before is None:
            break
        mm.eq(before, got[-1], "cursor is the last item")
    mm.eq(got, sent[::-1], "all messages newest first, no overlap")
    r = cl.get(url + "?limit=7")
    mm.eq(r.json["nextCursor"], None, "exactly the rest: no cursor")
    mm.eq(len(cl.get(url).json["messages"]), 7, "default limit 50")
    for q in ("limit=0", "limit=101", "limit=x", "before=msg_" + "0" * 32):
        mm.error(cl.get(url + "?" + q), "VALIDATION_ERROR", 400)
    c = mm.create_user()
    other = direct(a, c)
    foreign = send(a, other).json["id"]
    mm.error(cl.get(url + "?before=" + foreign), "VALIDATION_ERROR", 400)


def test_concurrent_sends_keep_order_and_last_message_at():
    a, b = users(2)
    conv = direct(a, b)
    res = mm.parallel(16, lambda i: send(a if i % 2 else b, conv, "c%d" % i))
    for r in res:
        mm.status(r, 201)
    row = mm.psql("SELECT c.last_message_at = max(m.created_at), count(*) FROM conversations c "
                  "JOIN messages m ON m.conversation_id = c.id WHERE c.id = :'p1' "
                  "GROUP BY c.last_message_at", conv)
    mm.eq(row[0], ["t", "16"], "last_message_at is the newest of 16")
    msgs = mm.Client(a[1]).get("/api/messaging/conversations/%s/messages" % conv).json["messages"]
    mm.eq(len(msgs), 16, "all listed")
    times = [m["createdAt"] for m in msgs]
    mm.eq(times, sorted(times, reverse=True), "newest first")
    lst = mm.Client(b[1]).get("/api/messaging/conversations").json["conversations"]
    c = [x for x in lst if x["id"] == conv][0]
    mm.eq(c["lastMessage"]["id"], msgs[0]["id"], "lastMessage is the newest")
    mm.eq(c["lastMessageAt"][:19], msgs[0]["createdAt"][:19], "lastMessageAt")


# ------------------------------------------------------------ list, read


def test_list_conversations_and_unread():
    a, b, c = users(3)
    c1 = direct(a, b)
    g = mm.Client(c[1]).post("/api/messaging/conversations",
                             {"type": "group", "name": "trio",
                              "participantIds": [a[0], b[0]]}).json["id"]
    send(b, c1, "one")
    send(b, c1, "two")
    send(a, c1, "mine")
    time.sleep(0.01)
    send(c, g, "group hello")
    cl = mm.Client(a[1])
    r = cl.get("/api/messaging/conversations")
    mm.status(r, 200)
    convs = r.json["conversations"]
    mm.eq([x["id"] for x in convs], [g, c1], "most recent activity first")
    for x in convs:
        mm.eq(set(x), CONV_KEYS, "conversation keys")
    d = convs[1]
    mm.eq(d["unreadCount"], 2, "unread: others' messages, never read")
    mm.eq(d["lastMessage"]["content"], "mine", "lastMessage")
    mm.eq(set(d["lastMessage"]), {"id", "content", "senderId", "createdAt"}, "lastMessage keys")
    mm.eq(convs[0]["unreadCount"], 1, "group unread")
    mm.eq(convs[0]["name"], "trio", "group name")
    r = cl.post("/api/messaging/conversations/%s/read" % c1)
    mm.status(r, 200)
    mm.eq(set(r.json), {"success", "lastReadAt"}, "read keys")
    mm.eq(r.json["success"], True, "success")
    mm.check(r.json["lastReadAt"].endswith("Z"), "lastReadAt")
    d = [x for x in cl.get("/api/messaging/conversations").json["conversations"]
         if x["id"] == c1][0]
    mm.eq(d["unreadCount"], 0, "read")
    send(b, c1, "three")
    d = [x for x in cl.get("/api/messaging/conversations").json["conversations"]
         if x["id"] == c1][0]
    mm.eq(d["unreadCount"], 1, "new message after read")
    mm.eq([x["id"] for x in cl.get("/api/messaging/conversations").json["conversations"]],
          [c1, g], "order follows activity")
    # A new, empty conversation is listed with no last message.
    e = mm.create_user()
    c3 = direct(a, e)
    lst = cl.get("/api/messaging/conversations").json["conversations"]
    x = [y for y in lst if y["id"] == c3][0]
    mm.eq((x["lastMessage"], x["lastMessageAt"], x["unreadCount"]), (None, None, 0), "empty")
    # Others see only their own conversations.
    mm.eq([y["id"] for y in mm.Client(e[1]).get("/api/messaging/conversations")
           .json["conversations"]], [c3], "only own")
    mm.eq(mm.Client(mm.create_user()[1]).get("/api/messaging/conversations").json,
          {"conversations": []}, "none")


# ------------------------------------------------------------ delete


def test_soft_delete():
    a, b, c = users(3)
    conv = direct(a, b)
    m1 = send(a, conv, "keep").json["id"]
    m2 = send(a, conv, "secret words").json["id"]
    mm.error(mm.Client(b[1]).delete("/api/messaging/messages/" + m2), "FORBIDDEN", 403)
    mm.error(mm.Client(c[1]).delete("/api/messaging/messages/" + m2), "NOT_FOUND", 404)
    mm.error(mm.Client(a[1]).delete("/api/messaging/messages/msg_" + "0" * 32),
             "NOT_FOUND", 404)
    r = mm.Client(a[1]).delete("/api/messaging/messages/" + m2)
    mm.status(r, 200)
    mm.eq(r.json, {"success": True, "deleted": True}, "deleted")
    r = mm.Client(a[1]).delete("/api/messaging/messages/" + m2)
    mm.status(r, 200)
    mm.eq(r.json, {"success": True, "deleted": True}, "deleted again")
    row = mm.psql("SELECT deleted_at IS NOT NULL FROM messages WHERE id = :'p1'", m2)
    mm.eq(row, [["t"]], "row stays, deleted_at set")
    for u in (a, b):
        r = mm.Client(u[1]).get("/api/messaging/conversations/%s/messages" % conv)
        mm.eq([m["id"] for m in r.json["messages"]], [m1], "deleted not listed")
        mm.check("secret words" not in r.body.decode(), "content gone")
        r = mm.Client(u[1]).get("/api/messaging/conversations")
        mm.check("secret words" not in r.body.decode(), "content gone from list")
        x = [y for y in r.json["conversations"] if y["id"] == conv][0]
        mm.eq(x["lastMessage"]["id"], m1, "lastMessage skips deleted")
    mm.eq([y["unreadCount"] for y in mm.Client(b[1]).get("/api/messaging/conversations")
           .json["conversations"] if y["id"] == conv], [1], "deleted not unread")
    mm.error(send(b, conv, "re", replyToId=m2), "VALIDATION_ERROR", 400)


# ------------------------------------------------------------ non-participants


def test_non_participants_get_404_everywhere():
    a, b, c = users(3)
    conv = direct(a, b)
    m = send(a, conv, "private").json["id"]
    cl = mm.Client(c[1])
    for r in (cl.get("/api/messaging/conversations/%s/messages" % conv),
              cl.get("/api/messaging/conversations/%s/messages?before=%s" % (conv, m)),
              cl.post("/api/messaging/conversations/%s/messages" % conv, {"content": "hi"}),
              cl.post("/api/messaging/conversations/%s/read" % conv),
              cl.delete("/api/messaging/messages/" + m)):
        e = mm.error(r, "NOT_FOUND", 404)
        mm.check("private" not in e["message"], "nothing leaks")
    unknown = "conv_" + "0" * 32
    r1 = cl.get("/api/messaging/conversations/%s/messages" % unknown)
    r2 = cl.get("/api/messaging/conversations/%s/messages" % conv)
    mm.eq(r1.json["error"]["message"], r2.json["error"]["message"], "same answer as unknown")
    mm.eq(mm.psql("SELECT count(*) FROM messages WHERE conversation_id = :'p1'", conv),
          [["1"]], "nothing sent")


# ------------------------------------------------------------ blocks


def test_block_endpoints():
    a, b = users(2)
    cl = mm.Client(a[1])
    mm.error(cl.post("/api/messaging/block/user_" + "0" * 32), "NOT_FOUND", 404)
    mm.error(cl.post("/api/messaging/block/" + a[0]), "VALIDATION_ERROR", 400)
    for _ in range(2):
        r = cl.post("/api/messaging/block/" + b[0])
        mm.status(r, 200)
        mm.eq(r.json, {"success": True, "blocked": True}, "blocked")
    mm.eq(mm.psql("SELECT count(*) FROM user_blocks WHERE blocker_id = :'p1'", a[0]),
          [["1"]], "one row")
    for _ in range(2):
        r = cl.delete("/api/messaging/block/" + b[0])
        mm.status(r, 200)
        mm.eq(r.json, {"success": True, "unblocked": True}, "unblocked")
    mm.eq(mm.psql("SELECT count(*) FROM user_blocks WHERE blocker_id = :'p1'", a[0]),
          [["0"]], "gone")
    mm.error(mm.Client().post("/api/messaging/block/" + b[0]), "UNAUTHORIZED", 401)


def test_blocks_act_both_ways():
    a, b = users(2)
    conv = direct(a, b)
    for blocker, blocked in ((a, b), (b, a)):
        mm.status(mm.Client(blocker[1]).post("/api/messaging/block/" + blocked[0]), 200)
        for u, other in ((a, b), (b, a)):
            mm.error(send(u, conv, "blocked?"), "FORBIDDEN", 403)
            r = mm.Client(u[1]).post("/api/messaging/conversations",
                                     {"type": "direct", "participantIds": [other[0]]})
            mm.error(r, "FORBIDDEN", 403)
        mm.status(mm.Client(blocker[1]).delete("/api/messaging/block/" + blocked[0]), 200)
        mm.status(send(a, conv, "ok again"), 201)
    # New direct conversations are refused too, and groups still work.
    c, d = users(2)
    mm.status(mm.Client(c[1]).post("/api/messaging/block/" + d[0]), 200)
    mm.error(mm.Client(d[1]).post("/api/messaging/conversations",
                                  {"participantIds": [c[0]]}), "FORBIDDEN", 403)
    mm.eq(mm.psql("SELECT count(*) FROM conversations WHERE direct_key = "
                  "least(:'p1', :'p2') || ':' || greatest(:'p1', :'p2')", c[0], d[0]),
          [["0"]], "no conversation created")


# ------------------------------------------------------------ live delivery


class MStream(Stream):
    """A messaging subscriber (same clients as the community tests)."""

    def __setattr__(self, k, v):
        if k == "path" and isinstance(v, str):
            v = v.replace("/api/community/", "/api/messaging/")
        object.__setattr__(self, k, v)

    def msgs(self, mtype):
        return [m for m in list(self.all) if isinstance(m, dict) and m.get("type") == mtype]

    def wait_msg(self, mtype, pred, timeout=3.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for m in self.msgs(mtype):
                if pred(m["data"]):
                    return m["data"]
            time.sleep(0.01)
        raise mm.Failure("%s not delivered on %s" % (mtype, self.path))


def opened(kind, token):
    s = MStream(kind, token)
    mm.check(s.status in (101, 200), "%s handshake: %r %r" % (kind, s.status, s.body))
    time.sleep(0.2)
    return s


def test_stream_refuses_missing_and_bad_tokens():
    uid = mm.create_user()[0]
    for kind in ("ws", "sse"):
        for tok in (None, "", "garbage", mm.make_token(uid, ttl=-10),
                    mm.make_token(uid, key="wrong-key")):
            s = MStream(kind, tok)
            mm.eq(s.status, 401, "%s token %r" % (kind, tok))
            mm.eq(s.headers.get("upgrade"), None, "no upgrade")
            body = json.loads(s.body.decode())
            mm.eq(body["error"]["code"], "UNAUTHORIZED", "JSON 401")
    mm.error(mm.Client().get("/api/messaging/_rt/authorize?token=" + mm.make_token(uid)),
             "NOT_FOUND", 404)


def test_live_delivery_to_participants_only():
    a, b, c = users(3)
    conv = direct(a, b)
    sa = opened("ws", a[1])
    sb = opened("sse", b[1])
    sc = opened("ws", c[1])
    sc2 = opened("sse", c[1])
    # c tries to read b's channel: the channel comes from the token only.
    sx = MStream("sse", c[1] + "&channel=messaging.u." + b[0])
    try:
        t0 = time.time()
        r = send(a, conv, "live one")
        mm.status(r, 201)
        mid = r.json["id"]
        for s in (sa, sb):
            d = s.wait_msg("message", lambda d: d["message"]["id"] == mid, timeout=1.5)
            mm.check(time.time() - t0 < 1.5, "within a second or so")
            mm.eq(d["conversationId"], conv, "conversationId")
            mm.eq(d["message"], r.json, "the message object")
        r = mm.Client(a[1]).delete("/api/messaging/messages/" + mid)
        mm.status(r, 200)
        for s in (sa, sb):
            d = s.wait_msg("message_deleted", lambda d: d["messageId"] == mid)
            mm.eq(d, {"conversationId": conv, "messageId": mid}, "deleted event")
        # A sentinel to c proves its stream works; nothing else arrived.
        d2 = direct(b, c)
        r = send(b, d2, "sentinel")
        sc.wait_msg("message", lambda d: d["message"]["id"] == r.json["id"])
        sc2.wait_msg("message", lambda d: d["message"]["id"] == r.json["id"])
        time.sleep(0.3)
        for s in (sc, sc2, sx):
            got = [m["data"]["conversationId"] for m in s.msgs("message")]
            got += [m["data"]["conversationId"] for m in s.msgs("message_deleted")]
            mm.check(conv not in got, "non-participant received nothing: %r" % got)
        mm.check("live one" not in repr(sx.all), "no foreign content")
    finally:
        for s in (sa, sb, sc, sc2, sx):
            s.close()


def test_live_delivery_to_group_and_sender():
    a, b, c, d = users(4)
    g = mm.Client(a[1]).post("/api/messaging/conversations",
                             {"type": "group", "name": "g",
                              "participantIds": [b[0], c[0]]}).json["id"]
    ss = [opened("sse", u[1]) for u in (a, b, c, d)]
    try:
        r = send(c, g, "to all")
        mid = r.json["id"]
        for s in ss[:3]:
            s.wait_msg("message", lambda x: x["message"]["id"] == mid, timeout=1.5)
        time.sleep(0.3)
        mm.eq(ss[3].msgs("message"), [], "outsider receives nothing")
    finally:
        for s in ss:
            s.close()


def test_live_delivery_to_a_full_group():
    # The largest fan-out: the owner and 50 others, every one connected.
    people = [mm.create_user(balance=0) for _ in range(51)]
    g = mm.Client(people[0][1]).post("/api/messaging/conversations",
                                     {"type": "group", "name": "full",
                                      "participantIds": [u[0] for u in people[1:]]})
    mm.status(g, 201)
    g = g.json["id"]
    ss = [MStream("sse", u[1]) for u in people]
    try:
        for s in ss:
            mm.eq(s.status, 200, "stream opened")
        time.sleep(0.3)
        sent = [send(people[i], g, "full %d" % i) for i in (7, 0, 50)]
        for r in sent:
            mm.status(r, 201)
        for i, s in enumerate(ss):
            for r in sent:
                d = s.wait_msg("message", lambda x, m=r.json["id"]: x["message"]["id"] == m,
                               timeout=2.0)
                mm.eq(d["message"], r.json, "participant %d: the message object" % i)
            got = [m["data"]["message"]["id"] for m in s.msgs("message")]
            mm.eq(len(got), len(set(got)), "participant %d: each message once" % i)
    finally:
        for s in ss:
            s.close()


# ------------------------------------------------------------ attachments


def png(w=40, h=30, text=b"GPS 48.85N 2.35E secret-meta"):
    """A valid RGB PNG carrying a tEXt metadata chunk."""
    import struct
    import zlib

    def chunk(kind, data):
        c = struct.pack("!I", len(data)) + kind + data
        return c + struct.pack("!I", zlib.crc32(kind + data) & 0xffffffff)
    raw = b"".join(b"\x00" + b"".join(bytes([(x * 5) % 256, (y * 7) % 256, 90])
                                       for x in range(w)) for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack("!IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
            chunk(b"tEXt", b"Comment\x00" + text) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")


def upload(user, conv, data, filename="f.bin", caption=None, ctype=None):
    b = "mmboundary7e3f"
    parts = []
    if caption is not None:
        parts.append(("--%s\r\nContent-Disposition: form-data; name=\"content\"\r\n\r\n"
                      % b).encode() + caption.encode() + b"\r\n")
    if data is not None:
        parts.append(("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
                      "Content-Type: application/octet-stream\r\n\r\n" % (b, filename)).encode()
                     + data + b"\r\n")
    body = b"".join(parts) + ("--%s--\r\n" % b).encode()
    return mm.Client(user[1]).request(
        "POST", "/api/messaging/conversations/%s/attachments" % conv, raw=body,
        headers={"Content-Type": ctype or "multipart/form-data; boundary=" + b})


def test_upload_image_thumbnail_and_serving():
    a, b, c = users(3)
    conv = direct(a, b)
    img = png()
    r = upload(a, conv, img, "../../etc/holiday.png", caption="Look ✓")
    mm.status(r, 201)
    m = r.json
    mm.eq(set(m), MSG_KEYS, "message keys")
    mm.eq(m["contentType"], "image", "contentType")
    mm.eq(m["content"], "Look ✓", "caption")
    mm.eq(len(m["attachments"]), 1, "one attachment")
    att = m["attachments"][0]
    mm.eq(set(att), {"id", "fileName", "fileType", "fileSize", "moderationStatus", "url",
                     "thumbnailUrl"}, "attachment keys")
    mm.check(att["id"].startswith("att_") and len(att["id"]) == 36, "att id")
    mm.eq(att["fileName"], "holiday.png", "no path in the name")
    mm.eq(att["fileType"], "image/png", "type from the bytes")
    mm.eq(att["fileSize"], len(img), "size")
    mm.eq(att["moderationStatus"], "approved", "automated approval")
    path = mm.psql("SELECT storage_path FROM message_attachments WHERE id = :'p1'", att["id"])[0][0]
    mm.check("holiday" not in path and "/" not in path and len(path) >= 32, "random name")
    for u in (a, b):
        r = mm.Client(u[1]).get(att["url"])
        mm.status(r, 200)
        mm.eq(r.body, img, "the bytes")
        mm.eq(r.header("Content-Type"), "image/png", "detected type")
        mm.eq(r.header("X-Content-Type-Options"), "nosniff", "nosniff")
        t = mm.Client(u[1]).get(att["thumbnailUrl"])
        mm.status(t, 200)
        mm.eq(t.header("Content-Type"), "image/png", "thumbnail type")
        mm.check(t.body.startswith(b"\x89PNG"), "thumbnail is a PNG")
        mm.check(b"secret-meta" not in t.body and b"tEXt" not in t.body, "metadata stripped")
    mm.error(mm.Client(c[1]).get(att["url"]), "NOT_FOUND", 404)
    mm.error(mm.Client(c[1]).get(att["thumbnailUrl"]), "NOT_FOUND", 404)
    mm.error(mm.Client(a[1]).get("/api/messaging/attachments/att_" + "0" * 32), "NOT_FOUND", 404)
    mm.error(mm.Client().get(att["url"]), "UNAUTHORIZED", 401)
    # The storage is not reachable from outside.
    mm.status(mm.Client().get("/_mm_attachments/" + path), 404)
    msgs = mm.Client(b[1]).get("/api/messaging/conversations/%s/messages" % conv).json
    mm.eq(msgs["messages"][0], m, "listed with its attachment")


def test_upload_files_and_rejections():
    a, b, c = users(3)
    conv = direct(a, b)
    r = upload(a, conv, PDF, "doc.pdf")
    mm.status(r, 201)
    mm.eq((r.json["contentType"], r.json["attachments"][0]["fileType"],
           r.json["attachments"][0]["thumbnailUrl"]), ("file", "application/pdf", None), "pdf")
    r = upload(a, conv, "plain words\n".encode(), "notes.png")
    mm.status(r, 201)
    mm.eq(r.json["attachments"][0]["fileType"], "text/plain", "type from content, not name")
    got = mm.Client(b[1]).get(r.json["attachments"][0]["url"])
    mm.status(got, 200)
    mm.check(got.header("Content-Type").startswith("text/plain"), "text type")
    mm.error(upload(a, conv, b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "x.png"),
             "VALIDATION_ERROR", 400)
    mm.error(upload(a, conv, b"", "empty.txt"), "VALIDATION_ERROR", 400)
    mm.error(upload(a, conv, None), "VALIDATION_ERROR", 400)
    mm.error(upload(a, conv, b"hello", ctype="application/json"), "VALIDATION_ERROR", 400)
    mm.error(upload(a, conv, b"hello", caption="x" * 4001), "VALIDATION_ERROR", 400)
    mm.error(upload(c, conv, b"hello"), "NOT_FOUND", 404)
    mm.status(mm.Client(b[1]).post("/api/messaging/block/" + a[0]), 200)
    mm.error(upload(a, conv, b"hello"), "FORBIDDEN", 403)
    mm.status(mm.Client(b[1]).delete("/api/messaging/block/" + a[0]), 200)
    big = b"a" * (10 * 1024 * 1024 + 1)
    mm.error(upload(a, conv, big, "big.txt"), "PAYLOAD_TOO_LARGE", 413)
    mm.error(upload(a, conv, big + b"a" * (1024 * 1024), "big.txt"), "PAYLOAD_TOO_LARGE", 413)
    r = upload(a, conv, b"b" * (10 * 1024 * 1024), "max.txt")
    mm.status(r, 201)
    mm.eq(r.json["attachments"][0]["fileSize"], 10 * 1024 * 1024, "10 MiB accepted")
    # Other routes keep the 1 MiB limit.
    r = mm.Client(a[1]).post("/api/messaging/conversations/%s/messages" % conv,
                             {"content": "x" * (1024 * 1024 + 10)})
    mm.error(r, "PAYLOAD_TOO_LARGE", 413)
    # Nothing was kept for the refused uploads.
    n = mm.psql("SELECT count(*) FROM message_attachments a JOIN messages m ON m.id = a.message_id "
                "WHERE m.conversation_id = :'p1'", conv)
    mm.eq(n, [["3"]], "three stored")


def test_broken_image_rejected_and_admin_moderation():
    a, b = users(2)
    admin = mm.create_user(roles=["user", "admin"])
    conv = direct(a, b)
    broken = png()[:60]
    r = upload(a, conv, broken, "broken.png")
    mm.status(r, 201)
    att = r.json["attachments"][0]
    mm.eq((att["fileType"], att["moderationStatus"]), ("image/png", "rejected"), "rejected")
    mm.error(mm.Client(b[1]).get(att["url"]), "NOT_FOUND", 404)
    url = "/api/admin/attachments/%s/moderation" % att["id"]
    mm.error(mm.Client(a[1]).post(url, {"status": "approved"}), "FORBIDDEN", 403)
    mm.error(mm.Client().post(url, {"status": "approved"}), "UNAUTHORIZED", 401)
    adm = mm.Client(admin[1])
    mm.error(adm.post(url, {"status": "maybe"}), "VALIDATION_ERROR", 400)
    mm.error(adm.post("/api/admin/attachments/att_%s/moderation" % ("0" * 32),
                      {"status": "approved"}), "NOT_FOUND", 404)
    r = adm.post(url, {"status": "approved", "reason": "checked by hand"})
    mm.status(r, 200)
    mm.eq(r.json, {"id": att["id"], "moderationStatus": "approved"}, "override")
    g = mm.Client(b[1]).get(att["url"])
    mm.status(g, 200)
    mm.eq(g.body, broken, "served once approved")
    good = upload(a, conv, png(), "ok.png").json["attachments"][0]
    mm.status(mm.Client(b[1]).get(good["url"]), 200)
    mm.status(adm.post("/api/admin/attachments/%s/moderation" % good["id"],
                       {"status": "rejected"}), 200)
    mm.error(mm.Client(b[1]).get(good["url"]), "NOT_FOUND", 404)
    mm.error(mm.Client(b[1]).get(good["thumbnailUrl"]), "NOT_FOUND", 404)
